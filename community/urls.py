from django.urls import path

from community.views import attendance, calendars, registrations, workshops

app_name = "community"

urlpatterns = [
    path("workshops/", workshops.workshop_list, name="list"),
    path("workshops/new/", workshops.workshop_create, name="create"),
    path("workshops/calendar/", calendars.calendar_feed, name="calendar"),
    path("workshops/calendar/reset/", calendars.calendar_reset, name="calendar-reset"),
    path("workshops/calendar/revoke/", calendars.calendar_revoke, name="calendar-revoke"),
    path("workshops/<uuid:public_id>/", workshops.workshop_detail, name="detail"),
    path("workshops/<uuid:public_id>/panel/", workshops.registration_panel, name="panel"),
    path("workshops/<uuid:public_id>/register/", registrations.register, name="register"),
    path("workshops/<uuid:public_id>/leave/", registrations.leave, name="leave"),
    path("workshops/<uuid:public_id>/accept/", registrations.offer_accept, name="accept"),
    path("workshops/<uuid:public_id>/decline/", registrations.offer_decline, name="decline"),
    path("workshops/<uuid:public_id>/edit/", workshops.workshop_edit, name="edit"),
    path("workshops/<uuid:public_id>/publish/", workshops.workshop_publish, name="publish"),
    path("workshops/<uuid:public_id>/cancel/", workshops.workshop_cancel, name="cancel"),
    path("workshops/<uuid:public_id>/attendees/", attendance.attendees, name="attendees"),
    path("workshops/<uuid:public_id>/check-in/", attendance.check_in, name="checkin"),
    path(
        "workshops/<uuid:public_id>/check-in/<uuid:registration_id>/attended/",
        attendance.mark_attended,
        name="mark-attended",
    ),
    path(
        "workshops/<uuid:public_id>/check-in/<uuid:registration_id>/no-show/",
        attendance.mark_no_show,
        name="mark-no-show",
    ),
    path(
        "workshops/<uuid:public_id>/check-in/<uuid:registration_id>/unmark/",
        attendance.mark_unmarked,
        name="mark-unmarked",
    ),
]
