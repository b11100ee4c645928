from django.urls import path

from accounts.api import MeView

app_name = "accounts-api"

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
]
