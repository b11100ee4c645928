from django.urls import path

from tasks import api

urlpatterns = [
    path("projects/", api.ProjectListView.as_view(), name="api-projects"),
    path("projects/<str:public_id>/", api.ProjectDetailView.as_view(), name="api-project"),
    path(
        "projects/<str:public_id>/publish/",
        api.ProjectTransitionView.as_view(action_name="publish"),
        name="api-project-publish",
    ),
    path(
        "projects/<str:public_id>/pause/",
        api.ProjectTransitionView.as_view(action_name="pause"),
        name="api-project-pause",
    ),
    path(
        "projects/<str:public_id>/close/",
        api.ProjectTransitionView.as_view(action_name="close"),
        name="api-project-close",
    ),
    path("projects/<str:public_id>/items/", api.ItemUploadView.as_view(), name="api-project-items"),
    path("projects/<str:public_id>/next/", api.NextItemView.as_view(), name="api-project-next"),
    path(
        "projects/<str:public_id>/results/", api.ResultsView.as_view(), name="api-project-results"
    ),
    path("projects/<str:public_id>/export/", api.ExportView.as_view(), name="api-project-export"),
    path("assignments/<str:public_id>/answer/", api.AnswerView.as_view(), name="api-answer"),
    path("assignments/<str:public_id>/skip/", api.SkipView.as_view(), name="api-skip"),
    path("credits/", api.CreditsView.as_view(), name="api-credits"),
]
