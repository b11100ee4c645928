"""A member joins a full workshop's waitlist; another member gives up a seat in a second
browser context and the first sees the offer arrive live, accepts it and downloads the
calendar file; the host checks them in at the door; after the end the attendance counts
in their reputation.

The offer arrives over `/ws/feed/`, which pytest-django's live server (WSGI) cannot
serve, so this journey runs the project's ASGI application (HTTP and WebSocket) in an
ASGI server in a thread of the test process, on the test database.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services.profiles import profile_update
from community.models import Registration, Workshop
from community.services import registrations, workshops
from reputation.models import ReputationEvent
from tests.e2e.conftest import off_thread, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]


def test_waitlist_offer_live_accept_calendar_check_in_and_reputation(
    contexts: Any, user_factory: Any, tmp_path: Path
) -> None:
    def setup() -> tuple[Any, ...]:
        host = user_factory(roles=[Role.MODERATOR])
        wanda = user_factory(roles=[Role.PIONEER], verified=True)
        sam = user_factory(roles=[Role.PIONEER], verified=True)
        other = user_factory(roles=[Role.PIONEER], verified=True)
        for person, name in ((host, "Hana Host"), (wanda, "Wanda Waiting"), (sam, "Sam Seated")):
            profile_update(user=person, display_name=name)
        # Starts in 40 minutes, so the door (which opens an hour before) is open too.
        start = timezone.now().replace(microsecond=0) + timedelta(minutes=40)
        workshop = workshops.workshop_create(
            actor=host,
            title="Guidelines for the pet-photo project",
            description="What counts as a **cat**.",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=2,
            online_url="https://meet.example.com/pets",
            publish=True,
        )
        for person in (sam, other):
            registrations.registration_create(workshop=workshop, user=person)
        return host, wanda, sam, workshop

    host, wanda, sam, workshop = off_thread(setup)
    page_path = f"/workshops/{workshop.public_id}/"

    # Wanda finds the full workshop and joins the waitlist.
    first = contexts("wanda")
    member = first.page
    sign_in(member, wanda.email)
    member.get_by_role("link", name="Workshops").click()
    member.get_by_role("link", name="Guidelines for the pet-photo project").click()
    expect(member.get_by_test_id("seats")).to_contain_text("0 of 2 seats left")
    first.shot("full-house")
    member.get_by_role("button", name="Join the waitlist").click()
    expect(member.get_by_test_id("position")).to_have_text("1")
    expect(member.locator("#workshop-live[data-subscribed=true]")).to_have_count(1)
    first.shot("waitlisted")

    # Sam gives up his seat in a second browser context.
    second = contexts("sam")
    other_page = second.page
    sign_in(other_page, sam.email)
    other_page.goto(page_path)
    expect(other_page.get_by_test_id("registration-state")).to_contain_text(
        "Your seat is confirmed"
    )
    other_page.get_by_role("button", name="Give up my seat").click()
    expect(other_page.get_by_text("You left the workshop.").first).to_be_visible()
    second.shot("left")

    # Wanda's page shows the offer without a reload (the socket's event, or the resume
    # after a reconnect), and she accepts it.
    expect(member.get_by_text("A seat is yours if you want it")).to_be_visible()
    first.shot("offer-arrived-live")
    member.get_by_role("button", name="Accept the seat").click()
    expect(member.get_by_test_id("registration-state")).to_contain_text("Your seat is confirmed")
    expect(member.get_by_test_id("where")).to_contain_text("https://meet.example.com/pets")
    first.shot("confirmed")

    with member.expect_download() as download:
        member.get_by_test_id("add-to-calendar").click()
    saved = tmp_path / "workshop.ics"
    download.value.save_as(saved)
    [event] = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == workshop.starts_at
    assert event["dtstart"].to_ical().decode().endswith("Z")
    assert str(event["summary"]) == "Guidelines for the pet-photo project"
    assert "https://meet.example.com/pets" in str(event["description"])

    # The host checks Wanda in at the door, on a phone, with the keyboard.
    sign_out(other_page)
    door = contexts("host", viewport={"width": 390, "height": 844}, is_mobile=True)
    host_page = door.page
    sign_in(host_page, host.email)
    host_page.goto(page_path)
    host_page.get_by_role("link", name="Check-in").click()
    host_page.get_by_role("searchbox").fill("Wanda")
    rows = host_page.get_by_test_id("checkin-row")
    expect(rows).to_have_count(1)
    door.shot("found")
    rows.first.focus()
    host_page.keyboard.press("a")
    expect(rows.first.get_by_test_id("attendance")).to_have_text("Attended")
    expect(host_page.get_by_test_id("checkin-count")).to_contain_text("1 of 1 checked in")
    door.shot("checked-in")
    assert Registration.objects.get(workshop=workshop, user=wanda).attendance == "attended"

    # After the end the finishing sweep runs (its clock moved past the end, not slept).
    finished = off_thread(
        lambda: workshops.workshops_finish(now=workshop.ends_at + timedelta(minutes=1))
    )
    assert finished == 1
    member.goto("/workshops/?show=past")
    member.get_by_role("link", name="Guidelines for the pet-photo project").click()
    expect(member.get_by_test_id("workshop-status")).to_have_text("Finished")
    expect(member.get_by_test_id("attendance")).to_have_text(
        "You attended. It counts in your reputation."
    )
    first.shot("attendance-counted")
    # Her reputation history shows the attendance, with its reason.
    member.goto("/reputation/")
    expect(member.get_by_text("You attended a workshop")).to_be_visible()
    first.shot("reputation-history")
    [evidence] = ReputationEvent.objects.filter(user=wanda)
    assert evidence.source == "workshop"
    assert evidence.positive
    assert evidence.subject == f"community.workshop:{workshop.public_id}"
    assert Workshop.objects.get(pk=workshop.pk).status == "finished"
