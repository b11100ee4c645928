from django.urls import path

from reputation import review_views

app_name = "reviews"

urlpatterns = [
    path("reviews/", review_views.review_work, name="work"),
    path("reviews/next/", review_views.review_next, name="next"),
    path("reviews/rings/", review_views.rings, name="rings"),
    path("reviews/rings/<str:public_id>/clear/", review_views.ring_clear, name="ring-clear"),
    path(
        "reviews/rings/<str:public_id>/penalise/", review_views.ring_penalise, name="ring-penalise"
    ),
    path("reviews/<str:public_id>/", review_views.review_submit, name="submit"),
]
