from django.urls import path

from kyc import api

urlpatterns = [
    path("kyc/cases/", api.CaseCreateView.as_view(), name="kyc-cases"),
    path("kyc/cases/<str:public_id>/", api.CaseDetailView.as_view(), name="kyc-case"),
    path(
        "kyc/cases/<str:public_id>/documents/",
        api.DocumentUploadView.as_view(),
        name="kyc-documents",
    ),
    path("kyc/cases/<str:public_id>/submit/", api.CaseSubmitView.as_view(), name="kyc-submit"),
    path("kyc/cases/<str:public_id>/appeal/", api.CaseAppealView.as_view(), name="kyc-appeal"),
    path("kyc/cases/<str:public_id>/claim/", api.ClaimView.as_view(), name="kyc-claim"),
    path("kyc/cases/<str:public_id>/decide/", api.DecideView.as_view(), name="kyc-decide"),
    path("kyc/cases/<str:public_id>/escalate/", api.EscalateView.as_view(), name="kyc-escalate"),
    path(
        "kyc/cases/<str:public_id>/conflict/",
        api.CaseConflictView.as_view(),
        name="kyc-case-conflict",
    ),
    path("kyc/me/data/", api.MyDataView.as_view(), name="kyc-my-data"),
    path("kyc/checks/next/", api.NextCheckView.as_view(), name="kyc-next-check"),
    path("kyc/checks/<str:check_id>/vote/", api.VoteView.as_view(), name="kyc-vote"),
    path(
        "kyc/checks/<str:check_id>/conflict/",
        api.CheckConflictView.as_view(),
        name="kyc-check-conflict",
    ),
    path("kyc/queue/", api.QueueView.as_view(), name="kyc-queue"),
    path("kyc/sla/", api.SlaView.as_view(), name="kyc-sla"),
]
