from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("workshops/", views.workshop_list, name="list"),
    path("workshops/new/", views.workshop_create, name="create"),
    path("workshops/calendar/", views.calendar_feed, name="calendar"),
    path("workshops/calendar/reset/", views.calendar_reset, name="calendar-reset"),
    path("workshops/calendar/revoke/", views.calendar_revoke, name="calendar-revoke"),
    path("workshops/<uuid:public_id>/", views.workshop_detail, name="detail"),
    path("workshops/<uuid:public_id>/panel/", views.registration_panel, name="panel"),
    path("workshops/<uuid:public_id>/register/", views.register, name="register"),
    path("workshops/<uuid:public_id>/leave/", views.leave, name="leave"),
    path("workshops/<uuid:public_id>/accept/", views.offer_accept, name="accept"),
    path("workshops/<uuid:public_id>/decline/", views.offer_decline, name="decline"),
    path("workshops/<uuid:public_id>/edit/", views.workshop_edit, name="edit"),
    path("workshops/<uuid:public_id>/publish/", views.workshop_publish, name="publish"),
    path("workshops/<uuid:public_id>/cancel/", views.workshop_cancel, name="cancel"),
    path("workshops/<uuid:public_id>/attendees/", views.attendees, name="attendees"),
    path("workshops/<uuid:public_id>/check-in/", views.check_in, name="checkin"),
    path(
        "workshops/<uuid:public_id>/check-in/<uuid:registration_id>/attended/",
        views.mark_attended,
        name="mark-attended",
    ),
    path(
        "workshops/<uuid:public_id>/check-in/<uuid:registration_id>/no-show/",
        views.mark_no_show,
        name="mark-no-show",
    ),
    path(
        "workshops/<uuid:public_id>/check-in/<uuid:registration_id>/unmark/",
        views.mark_unmarked,
        name="mark-unmarked",
    ),
]
