from django.urls import path

from kyc.views import cases, review, validation

app_name = "kyc"

urlpatterns = [
    path("kyc/", cases.status, name="status"),
    path("kyc/review/", review.review_queue, name="review-queue"),
    path("kyc/review/mine/", review.review_my_decisions, name="review-mine"),
    path("kyc/review/<str:public_id>/", review.review_case, name="review-case"),
    path("kyc/review/<str:public_id>/claim/", review.review_claim, name="review-claim"),
    path("kyc/review/<str:public_id>/unclaim/", review.review_unclaim, name="review-unclaim"),
    path("kyc/review/<str:public_id>/decide/", review.review_decide, name="review-decide"),
    path("kyc/review/<str:public_id>/escalate/", review.review_escalate, name="review-escalate"),
    path(
        "kyc/review/<str:public_id>/conflict/",
        review.review_declare_conflict,
        name="review-conflict",
    ),
    path("kyc/checks/", validation.validator_checks, name="validator-checks"),
    path("kyc/checks/<str:check_id>/<str:kind>/", validation.check_image, name="check-image"),
    path("kyc/documents/<str:public_id>/<str:kind>/", cases.document_image, name="document"),
]
