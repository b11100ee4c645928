from django.urls import path

from reputation import views

app_name = "reputation"

urlpatterns = [
    path("reputation/", views.mine, name="mine"),
    path("reputation/visibility/", views.visibility, name="visibility"),
    path("reputation/penalties/<str:public_id>/appeal/", views.appeal, name="appeal"),
    path("reputation/moderation/", views.moderation, name="moderation"),
    path("reputation/moderation/penalise/", views.penalise, name="penalise"),
    path("reputation/moderation/<str:public_id>/decide/", views.decide, name="decide"),
    path("u/<str:public_id>/", views.public_profile, name="profile"),
]
