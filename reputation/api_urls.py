from django.urls import path

from reputation import api, review_api, ring_api

app_name = "reputation-api"

urlpatterns = [
    path("reputation/events/", api.EventFeedView.as_view(), name="events"),
    path("reputation/batches/", api.BatchListView.as_view(), name="batches"),
    path("reputation/scores/", api.ScoreListView.as_view(), name="scores"),
    path("reputation/me/", api.MyReputationView.as_view(), name="me"),
    path("reputation/penalties/", api.PenaltyCreateView.as_view(), name="penalties"),
    path(
        "reputation/penalties/<str:public_id>/appeal/",
        api.PenaltyAppealView.as_view(),
        name="penalty-appeal",
    ),
    path(
        "reputation/penalties/<str:public_id>/decide/",
        api.AppealDecideView.as_view(),
        name="penalty-decide",
    ),
    path("reputation/rings/", ring_api.RingListView.as_view(), name="rings"),
    path(
        "reputation/rings/<str:public_id>/clear/",
        ring_api.RingClearView.as_view(),
        name="ring-clear",
    ),
    path(
        "reputation/rings/<str:public_id>/penalise/",
        ring_api.RingPenaliseView.as_view(),
        name="ring-penalise",
    ),
    path("reviews/next/", review_api.NextReviewView.as_view(), name="review-next"),
    path("reviews/<str:public_id>/", review_api.ReviewSubmitView.as_view(), name="review"),
]
