from django.urls import path

from accounts.api import (
    MeView,
    NotificationListView,
    NotificationSettingsView,
    NotificationsReadView,
)

app_name = "accounts-api"

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", NotificationsReadView.as_view(), name="notifications-read"),
    path(
        "notifications/settings/",
        NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
]
