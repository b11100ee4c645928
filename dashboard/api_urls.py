from django.urls import path

from dashboard import api

app_name = "dashboard-api"

urlpatterns = [
    path("earnings/", api.EarningsView.as_view(), name="earnings"),
]
