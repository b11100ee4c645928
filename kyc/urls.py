from django.urls import path

from kyc import views

urlpatterns = [
    path("kyc/", views.status, name="kyc-status"),
    path("kyc/review/", views.review_queue, name="kyc-review-queue"),
    path("kyc/review/<str:public_id>/", views.review_case, name="kyc-review-case"),
    path("kyc/checks/", views.validator_checks, name="kyc-validator-checks"),
    path("kyc/checks/<str:check_id>/<str:kind>/", views.check_image, name="kyc-check-image"),
    path("kyc/documents/<str:public_id>/<str:kind>/", views.document_image, name="kyc-document"),
]
