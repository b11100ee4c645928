from django.urls import path

from kyc import views

urlpatterns = [
    path("kyc/documents/<str:public_id>/<str:kind>/", views.document_image, name="kyc-document"),
]
