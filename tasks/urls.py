from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("tasks/", views.feed, name="feed"),
    path("tasks/<str:public_id>/card/", views.feed_card, name="feed-card"),
    path("tasks/<str:public_id>/work/", views.work, name="work"),
    path("tasks/<str:public_id>/work/next/", views.work_next, name="work-next"),
    path("tasks/assignments/<str:public_id>/answer/", views.work_answer, name="answer"),
    path("tasks/assignments/<str:public_id>/skip/", views.work_skip, name="skip"),
    path("requester/projects/", views.requester_projects, name="requester"),
    path("requester/projects/new/", views.project_new, name="project-new"),
    path("requester/projects/<str:public_id>/", views.project_edit, name="project"),
    path(
        "requester/projects/<str:public_id>/results/",
        views.project_results,
        name="results",
    ),
    path(
        "requester/projects/<str:public_id>/publish/",
        views.project_publish,
        name="project-publish",
    ),
    path("requester/projects/<str:public_id>/pause/", views.project_pause, name="project-pause"),
    path("requester/projects/<str:public_id>/close/", views.project_close, name="project-close"),
    path(
        "requester/projects/<str:public_id>/close/confirm/",
        views.project_close_confirm,
        name="project-close-confirm",
    ),
    path(
        "requester/projects/<str:public_id>/sample.csv",
        views.project_sample,
        {"fmt": "csv"},
        name="project-sample-csv",
    ),
    path(
        "requester/projects/<str:public_id>/sample.jsonl",
        views.project_sample,
        {"fmt": "jsonl"},
        name="project-sample-jsonl",
    ),
]
