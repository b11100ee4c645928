"""Calendars parsed back with `icalendar`, the secret feed URL, and reminders sent once."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from icalendar import Calendar
from rest_framework.test import APIClient

from community.models import Registration
from community.services import announcements, calendars, registrations, workshops
from community.services import mail as workshop_mail
from tests.community.conftest import T0

pytestmark = pytest.mark.django_db


def events(content: bytes) -> list[Any]:
    return list(Calendar.from_ical(content).walk("VEVENT"))


def download(client: APIClient, workshop: Any) -> Any:
    response = client.get(f"/api/v1/workshops/{workshop.public_id}/calendar.ics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return response


def test_a_workshop_ics_carries_the_instants_in_utc_and_the_link_only_for_the_seated(
    make_workshop: Any, members: Any
) -> None:
    workshop = make_workshop(capacity=1, timezone="Asia/Tokyo", place="Room 4")
    seated, waiting = members(2)
    for person in (seated, waiting):
        registrations.registration_create(workshop=workshop, user=person, now=T0)
    client = APIClient()
    client.force_login(seated)
    [event] = events(download(client, workshop).content)
    assert event.decoded("dtstart") == workshop.starts_at
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert "Z" in event["dtstart"].to_ical().decode()
    assert event.decoded("dtend") == workshop.ends_at
    assert str(event["uid"]) == f"workshop-{workshop.public_id}@127.0.0.1"
    assert event["status"] == "CONFIRMED"
    assert event["sequence"] == 0
    assert str(event["location"]) == "Room 4"
    assert "https://meet.example.com/guidelines" in str(event["description"])

    client.force_login(waiting)
    [event] = events(download(client, workshop).content)
    assert "location" not in event
    assert "meet.example.com" not in str(event["description"])


def test_ics_needs_a_session_and_a_visible_workshop(make_workshop: Any, member: Any) -> None:
    draft = make_workshop(publish=False)
    client = APIClient()
    assert client.get(f"/api/v1/workshops/{draft.public_id}/calendar.ics").status_code in (401, 403)
    client.force_login(member)
    response = client.get(
        f"/api/v1/workshops/{draft.public_id}/calendar.ics", HTTP_ACCEPT="text/calendar"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No such workshop."}


def feed_token(client: APIClient) -> str:
    response = client.post("/api/v1/me/calendar/")
    assert response.status_code == 201
    url = response.json()["url"]
    assert urlsplit(url).path == "/api/v1/me/calendar.ics"
    return parse_qs(urlsplit(url).query)["token"][0]


def test_the_personal_feed_lists_my_seats_and_shows_cancellation(
    make_workshop: Any, members: Any, moderator: Any
) -> None:
    me, other = members(2)
    kept = make_workshop(title="Kept", capacity=1)
    called_off = make_workshop(title="Called off", starts_in=timedelta(days=12))
    waiting_only = make_workshop(title="Waiting", capacity=1)
    for workshop in (kept, called_off):
        registrations.registration_create(workshop=workshop, user=me, now=T0)
    registrations.registration_create(workshop=waiting_only, user=other, now=T0)
    registrations.registration_create(workshop=waiting_only, user=me, now=T0)
    client = APIClient()
    client.force_login(me)
    token = feed_token(client)

    anonymous = APIClient()  # a calendar app: no session, only the secret
    before = {
        str(e["uid"]): e
        for e in events(anonymous.get(f"/api/v1/me/calendar.ics?token={token}").content)
    }
    assert {str(e["summary"]) for e in before.values()} == {"Kept", "Called off"}

    workshops.workshop_cancel(workshop=called_off, actor=moderator, message="Speaker ill", now=T0)
    response = anonymous.get("/api/v1/me/calendar.ics", {"token": token})
    assert response.status_code == 200
    after = {str(e["uid"]): e for e in events(response.content)}
    assert set(after) == set(before)  # same UIDs: calendars update the entry in place
    cancelled = after[f"workshop-{called_off.public_id}@127.0.0.1"]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["sequence"] > before[f"workshop-{called_off.public_id}@127.0.0.1"]["sequence"]
    assert "Speaker ill" in str(cancelled["description"])
    assert after[f"workshop-{kept.public_id}@127.0.0.1"]["status"] == "CONFIRMED"


def test_resetting_revokes_the_old_address_and_revoking_ends_the_feed(member: Any) -> None:
    client = APIClient()
    client.force_login(member)
    old = feed_token(client)
    new = feed_token(client)
    anonymous = APIClient()
    assert anonymous.get("/api/v1/me/calendar.ics", {"token": old}).status_code == 404
    assert anonymous.get("/api/v1/me/calendar.ics", {"token": new}).status_code == 200
    assert calendars.calendar_token_revoke(user=member)
    assert anonymous.get("/api/v1/me/calendar.ics", {"token": new}).status_code == 404
    assert anonymous.get("/api/v1/me/calendar.ics").status_code == 404


def test_reminders_go_out_once_24h_and_1h_before(
    make_workshop: Any, members: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=1, starts_in=timedelta(days=3))
    seated, waiting = members(2)
    for person in (seated, waiting):
        registrations.registration_create(workshop=workshop, user=person, now=T0)
    start = workshop.starts_at
    mail.outbox.clear()

    def sweep(at: Any) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return workshop_mail.reminders_send(now=at)

    assert sweep(start - timedelta(hours=25)) == 0
    assert sweep(start - timedelta(hours=23)) == 1
    assert sweep(start - timedelta(hours=22)) == 0  # sent once
    assert sweep(start - timedelta(minutes=50)) == 1
    assert sweep(start - timedelta(minutes=10)) == 0
    assert [message.subject.split(":")[0] for message in mail.outbox] == [
        "Tomorrow",
        "Starting within the hour",
    ]
    assert all(message.to == [seated.email] for message in mail.outbox)  # nobody waiting
    registration = Registration.objects.get(user=seated)
    assert registration.reminded_24h_at == (start - timedelta(hours=23)).astimezone(UTC)


def test_a_seat_confirmed_inside_the_last_day_gets_only_the_hour_reminder(
    make_workshop: Any, member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(starts_in=timedelta(days=3))
    start = workshop.starts_at
    registrations.registration_create(
        workshop=workshop, user=member, now=start - timedelta(hours=5)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert workshop_mail.reminders_send(now=start - timedelta(hours=4)) == 0
        assert workshop_mail.reminders_send(now=start - timedelta(minutes=30)) == 1
    assert [message.subject.split(":")[0] for message in mail.outbox] == [
        "Starting within the hour"
    ]


def test_stale_news_is_not_sent(make_workshop: Any, members: Any) -> None:
    """A job that runs late (or twice) does not announce an offer already answered."""
    workshop = make_workshop(capacity=1)
    seated, first = members(2)
    seat = registrations.registration_create(workshop=workshop, user=seated, now=T0).registration
    registrations.registration_create(workshop=workshop, user=first, now=T0)
    registrations.registration_cancel(registration=seat, user=seated, now=T0)
    offer = Registration.objects.get(user=first)
    assert announcements.registration_announce(registration_id=offer.pk, kind="offered")
    registrations.offer_accept(registration=offer, user=first, now=T0)
    assert not announcements.registration_announce(registration_id=offer.pk, kind="offered")
