from django.urls import path

from tasks import api
from tasks.services import projects

app_name = "tasks-api"

urlpatterns = [
    path("projects/", api.ProjectListView.as_view(), name="projects"),
    path("projects/<str:public_id>/", api.ProjectDetailView.as_view(), name="project"),
    path(
        "projects/<str:public_id>/publish/",
        api.ProjectTransitionView.as_view(move=projects.project_publish),
        name="project-publish",
    ),
    path(
        "projects/<str:public_id>/pause/",
        api.ProjectTransitionView.as_view(move=projects.project_pause),
        name="project-pause",
    ),
    path(
        "projects/<str:public_id>/close/",
        api.ProjectTransitionView.as_view(move=projects.project_close),
        name="project-close",
    ),
    path("projects/<str:public_id>/items/", api.ItemUploadView.as_view(), name="project-items"),
    path("projects/<str:public_id>/next/", api.NextItemView.as_view(), name="project-next"),
    path("projects/<str:public_id>/results/", api.ResultsView.as_view(), name="project-results"),
    path("projects/<str:public_id>/export/", api.ExportView.as_view(), name="project-export"),
    path("assignments/<str:public_id>/answer/", api.AnswerView.as_view(), name="answer"),
    path("assignments/<str:public_id>/skip/", api.SkipView.as_view(), name="skip"),
    path("credits/", api.CreditsView.as_view(), name="credits"),
]
