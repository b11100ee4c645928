from django.urls import path

from community import api

app_name = "community-api"

urlpatterns = [
    path("workshops/", api.WorkshopListView.as_view(), name="workshops"),
    path("workshops/<str:public_id>/", api.WorkshopDetailView.as_view(), name="workshop"),
    path(
        "workshops/<str:public_id>/publish/",
        api.WorkshopPublishView.as_view(),
        name="workshop-publish",
    ),
    path(
        "workshops/<str:public_id>/cancel/",
        api.WorkshopCancelView.as_view(),
        name="workshop-cancel",
    ),
    path(
        "workshops/<str:public_id>/registration/",
        api.RegistrationView.as_view(),
        name="workshop-registration",
    ),
    path(
        "workshops/<str:public_id>/registration/accept/",
        api.OfferAcceptView.as_view(),
        name="workshop-accept",
    ),
    path(
        "workshops/<str:public_id>/registration/decline/",
        api.OfferDeclineView.as_view(),
        name="workshop-decline",
    ),
    path(
        "workshops/<str:public_id>/attendees/",
        api.AttendeesView.as_view(),
        name="workshop-attendees",
    ),
    path(
        "workshops/<str:public_id>/attendance/",
        api.AttendanceView.as_view(),
        name="workshop-attendance",
    ),
    path(
        "workshops/<str:public_id>/calendar.ics",
        api.WorkshopCalendarView.as_view(),
        name="workshop-calendar",
    ),
    path("me/calendar.ics", api.MyCalendarView.as_view(), name="my-calendar"),
    path("me/calendar/", api.MyCalendarTokenView.as_view(), name="my-calendar-token"),
]
