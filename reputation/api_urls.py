from django.urls import path

from reputation import api

app_name = "reputation-api"

urlpatterns = [
    path("reviews/next/", api.NextReviewView.as_view(), name="review-next"),
    path("reviews/<str:public_id>/", api.ReviewSubmitView.as_view(), name="review"),
]
