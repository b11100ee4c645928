from django.urls import path

from kyc import api

app_name = "kyc-api"

urlpatterns = [
    path("kyc/cases/", api.CaseCreateView.as_view(), name="cases"),
    path("kyc/cases/<str:public_id>/", api.CaseDetailView.as_view(), name="case"),
    path(
        "kyc/cases/<str:public_id>/documents/",
        api.DocumentUploadView.as_view(),
        name="documents",
    ),
    path("kyc/cases/<str:public_id>/submit/", api.CaseSubmitView.as_view(), name="submit"),
    path("kyc/cases/<str:public_id>/appeal/", api.CaseAppealView.as_view(), name="appeal"),
    path("kyc/cases/<str:public_id>/claim/", api.ClaimView.as_view(), name="claim"),
    path("kyc/cases/<str:public_id>/decide/", api.DecideView.as_view(), name="decide"),
    path("kyc/cases/<str:public_id>/escalate/", api.EscalateView.as_view(), name="escalate"),
    path(
        "kyc/cases/<str:public_id>/conflict/",
        api.CaseConflictView.as_view(),
        name="case-conflict",
    ),
    path("kyc/me/data/", api.MyDataView.as_view(), name="my-data"),
    path("kyc/checks/next/", api.NextCheckView.as_view(), name="next-check"),
    path("kyc/checks/<str:check_id>/vote/", api.VoteView.as_view(), name="vote"),
    path(
        "kyc/checks/<str:check_id>/conflict/",
        api.CheckConflictView.as_view(),
        name="check-conflict",
    ),
    path("kyc/queue/", api.QueueView.as_view(), name="queue"),
    path("kyc/sla/", api.SlaView.as_view(), name="sla"),
]
