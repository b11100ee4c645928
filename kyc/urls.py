from django.urls import path

from kyc import views

app_name = "kyc"

urlpatterns = [
    path("kyc/", views.status, name="status"),
    path("kyc/review/", views.review_queue, name="review-queue"),
    path("kyc/review/mine/", views.review_my_decisions, name="review-mine"),
    path("kyc/review/<str:public_id>/", views.review_case, name="review-case"),
    path("kyc/review/<str:public_id>/claim/", views.review_claim, name="review-claim"),
    path("kyc/review/<str:public_id>/unclaim/", views.review_unclaim, name="review-unclaim"),
    path("kyc/review/<str:public_id>/decide/", views.review_decide, name="review-decide"),
    path("kyc/review/<str:public_id>/escalate/", views.review_escalate, name="review-escalate"),
    path(
        "kyc/review/<str:public_id>/conflict/",
        views.review_declare_conflict,
        name="review-conflict",
    ),
    path("kyc/checks/", views.validator_checks, name="validator-checks"),
    path("kyc/checks/<str:check_id>/<str:kind>/", views.check_image, name="check-image"),
    path("kyc/documents/<str:public_id>/<str:kind>/", views.document_image, name="document"),
]
