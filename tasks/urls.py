from django.urls import path, re_path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("tasks/", views.feed, name="feed"),
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
    re_path(
        r"^requester/projects/(?P<public_id>[0-9a-f-]{36})/(?P<action>publish|pause|close)/$",
        views.project_action,
        name="project-action",
    ),
]
