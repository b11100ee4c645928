"""Workshop pages: one-click actions, host forms with errors beside their fields, the door."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from community.models import Registration, Workshop
from community.models.workshops import WorkshopStatus
from community.services import registrations
from tests.community.conftest import T0, reload

pytestmark = pytest.mark.django_db


def browser_for(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def test_list_shows_upcoming_mine_and_past_in_a_fixed_number_of_queries(
    make_workshop: Any, member_factory: Any, moderator: Any, django_assert_max_num_queries: Any
) -> None:
    reader = member_factory()
    for number in range(8):
        workshop = make_workshop(title=f"Session {number}")
        if number < 2:
            registrations.registration_create(workshop=workshop, user=reader, now=T0)
    ended = make_workshop(title="Last month", now=T0 - timedelta(days=40))
    Workshop.objects.filter(pk=ended.pk).update(status=WorkshopStatus.FINISHED)
    browser = browser_for(reader)
    # Limits include the header's unread-notification count (one query on every page).
    with django_assert_max_num_queries(7):
        upcoming = page(browser, "/workshops/")
    assert all(f"Session {n}" in upcoming for n in range(8))
    assert "Last month" not in upcoming
    assert upcoming.count("Your seat is confirmed") == 2
    with django_assert_max_num_queries(7):
        mine = page(browser, "/workshops/?show=mine")
    assert "Session 0" in mine
    assert "Session 5" not in mine
    past = page(browser, "/workshops/?show=past")
    assert "Last month" in past
    assert "Session 0" not in past
    searched = page(browser, "/workshops/?q=session+3")
    assert "Session 3" in searched
    assert "Session 4" not in searched


def test_register_join_the_waitlist_and_accept_an_offer_in_one_click_each(
    make_workshop: Any, members: Any
) -> None:
    workshop = make_workshop(capacity=1)
    url = f"/workshops/{workshop.public_id}/"
    seated, waiting = members(2)
    seated_browser, waiting_browser = browser_for(seated), browser_for(waiting)
    assert "Register</button>" in page(seated_browser, url)
    response = seated_browser.post(f"{url}register/", follow=True)
    html = response.content.decode()
    assert "You have a seat" in html
    assert "Your seat is confirmed" in html
    assert "https://meet.example.com/guidelines" in html
    assert "Add to calendar (.ics)" in html

    html = page(waiting_browser, url)
    assert "Join the waitlist</button>" in html
    assert "meet.example.com" not in html  # the link is for confirmed attendees
    html = waiting_browser.post(f"{url}register/", follow=True).content.decode()
    assert "number 1 on the waitlist" in html

    seated_browser.post(f"{url}leave/")
    html = page(waiting_browser, url)
    assert "A seat is yours if you want it" in html
    html = waiting_browser.post(f"{url}accept/", follow=True).content.decode()
    assert "The seat is yours" in html
    assert Registration.objects.get(user=waiting).status == "confirmed"


def test_refusals_are_shown_before_and_after_a_click(
    make_workshop: Any, member_factory: Any
) -> None:
    workshop = make_workshop(audience="verified")
    unverified = browser_for(member_factory(verified=False))
    html = page(unverified, f"/workshops/{workshop.public_id}/")
    assert "Only identity-verified members may register" in html
    assert "Register</button>" not in html
    response = unverified.post(f"/workshops/{workshop.public_id}/register/")
    assert response.status_code == 403
    assert "verify your identity first" in response.content.decode()


def test_drafts_are_invisible_to_others_and_host_pages_to_members(
    make_workshop: Any, member: Any
) -> None:
    draft = make_workshop(publish=False)
    published = make_workshop()
    browser = browser_for(member)
    page(browser, f"/workshops/{draft.public_id}/", status=404)
    assert "Hosting is for trusted members" in page(browser, "/workshops/new/", status=403)
    html = page(browser, f"/workshops/{published.public_id}/check-in/", status=403)
    assert "hosts and moderators may do this" in html
    page(browser, f"/workshops/{published.public_id}/edit/", status=403)


def form_data(**overrides: Any) -> dict[str, Any]:
    start = (timezone.now() + timedelta(days=6)).strftime("%Y-%m-%d")
    values = {
        "title": "Guidelines clinic",
        "description": "Bring *examples*.",
        "timezone": "Europe/Berlin",
        "starts_at": f"{start}T10:00",
        "ends_at": f"{start}T12:00",
        "capacity": "15",
        "online_url": "https://meet.example.com/clinic",
        "place": "",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "audience": "signed_in",
        "min_level": "1",
        "cohosts": "",
    }
    values.update(overrides)
    return values


def test_hosts_create_in_their_own_zone(trusted_host: Any, member: Any) -> None:
    browser = browser_for(trusted_host)
    assert "Host a workshop" in page(browser, "/workshops/new/")
    response = browser.post("/workshops/new/", {**form_data(cohosts=member.email), "publish": "1"})
    assert response.status_code == 302
    workshop = Workshop.objects.get()
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert workshop.starts_at.astimezone(berlin).hour == 10
    assert workshop.status == WorkshopStatus.PUBLISHED
    assert set(workshop.hosts.all()) == {trusted_host, member}
    assert "<em>examples</em>" in workshop.description_html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # the end before the start
        (
            {"ends_at": "2031-01-01T09:00", "starts_at": "2031-01-01T10:00"},
            "ends_at",
            "The end must be after the start.",
        ),
        # no link and no place
        ({"online_url": ""}, "online_url", "Give an online link or a place."),
        # a co-host with no account
        (
            {"cohosts": "nobody@example.com"},
            "cohosts",
            "Nobody has the address nobody@example.com.",
        ),
    ],
)
def test_form_errors_appear_beside_their_field(
    moderator: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    response = browser_for(moderator).post("/workshops/new/", form_data(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    field_block = re.search(rf'data-field="{field}">(.*?)</div>', html, re.S)
    assert field_block is not None
    assert message in field_block.group(1)
    assert Workshop.objects.count() == 0


def test_editing_below_the_seats_held_is_refused_on_the_form(
    make_workshop: Any, members: Any, moderator: Any
) -> None:
    workshop = make_workshop(capacity=3)
    for person in members(2):
        registrations.registration_create(workshop=workshop, user=person, now=T0)
    browser = browser_for(moderator)
    form = page(browser, f"/workshops/{workshop.public_id}/edit/")
    assert 'value="Labelling guidelines, live"' in form
    local = timezone.localtime(workshop.starts_at, zoneinfo.ZoneInfo("UTC"))
    data = form_data(
        title="Labelling guidelines, live",
        timezone="UTC",
        starts_at=local.strftime("%Y-%m-%dT%H:%M"),
        ends_at=(local + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        online_url="https://meet.example.com/guidelines",
        capacity="1",
    )
    response = browser.post(f"/workshops/{workshop.public_id}/edit/", data)
    assert response.status_code == 400
    assert "2 people hold seats" in response.content.decode()
    assert reload(workshop).capacity == 3
    response = browser.post(f"/workshops/{workshop.public_id}/edit/", {**data, "capacity": "5"})
    assert response.status_code == 302
    assert reload(workshop).capacity == 5


def test_cancelling_needs_a_message(make_workshop: Any, member: Any, moderator: Any) -> None:
    workshop = make_workshop()
    registrations.registration_create(workshop=workshop, user=member, now=T0)
    browser = browser_for(moderator)
    assert "1 with a seat" in page(browser, f"/workshops/{workshop.public_id}/cancel/")
    assert (
        browser.post(f"/workshops/{workshop.public_id}/cancel/", {"message": ""}).status_code == 400
    )
    response = browser.post(
        f"/workshops/{workshop.public_id}/cancel/", {"message": "Moved to next month"}
    )
    assert response.status_code == 302
    html = page(browser_for(member), f"/workshops/{workshop.public_id}/")
    assert "Moved to next month" in html
    assert "Cancelled" in html


def test_the_door_search_and_marks_with_and_without_htmx(
    make_workshop: Any, member_factory: Any, moderator: Any, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    workshop = make_workshop(starts_in=timedelta(minutes=20), now=now, capacity=30)
    people = [member_factory(email=f"door{n}@example.com") for n in range(12)]
    for person in people:
        registrations.registration_create(workshop=workshop, user=person, now=now)
    browser = browser_for(moderator)
    url = f"/workshops/{workshop.public_id}/check-in/"
    # Limits include the header's unread-notification count (one query on every page).
    with django_assert_max_num_queries(9):
        html = page(browser, url)
    assert html.count('data-testid="checkin-row"') == 12
    found = browser.get(url, {"q": "door7@"}, HTTP_HX_REQUEST="true").content.decode()
    assert found.count('data-testid="checkin-row"') == 1
    assert "<html" not in found  # a fragment for htmx
    target = Registration.objects.get(user=people[7])
    mark_url = f"{url}{target.public_id}/attended/"
    row = browser.post(mark_url, {"q": "door7@"}, HTTP_HX_REQUEST="true").content.decode()
    assert row.startswith('<li class="checkin-row card attendance-attended"')
    assert 'hx-swap-oob="true">1 of 1 checked in' in row  # the count above the list too
    other = Registration.objects.get(user=people[3])
    response = browser.post(f"{url}{other.public_id}/no-show/", {"q": "door3"})
    assert response.status_code == 302
    assert response["Location"].endswith("?q=door3")
    marks = dict(Registration.objects.values_list("user__email", "attendance"))
    assert marks["door7@example.com"] == "attended"
    assert marks["door3@example.com"] == "no_show"
    with django_assert_max_num_queries(9):
        attendees = page(browser, f"/workshops/{workshop.public_id}/attendees/")
    assert attendees.count("door") >= 12


def test_marking_before_the_doors_open_shows_why(
    make_workshop: Any, member: Any, moderator: Any
) -> None:
    workshop = make_workshop()
    registration = registrations.registration_create(
        workshop=workshop, user=member, now=T0
    ).registration
    response = browser_for(moderator).post(
        f"/workshops/{workshop.public_id}/check-in/{registration.public_id}/attended/"
    )
    assert response.status_code == 400
    assert "Check-in opens at" in response.content.decode()


def test_the_calendar_address_is_shown_once(member: Any) -> None:
    browser = browser_for(member)
    assert "You have no calendar address yet" in page(browser, "/workshops/calendar/")
    shown = browser.post("/workshops/calendar/reset/").content.decode()
    match = re.search(r'value="(http[^"]+/api/v1/me/calendar\.ics\?token=[^"]+)"', shown)
    assert match is not None
    later = page(browser, "/workshops/calendar/")
    assert "token=" not in later
    assert "not shown again" in later
    assert Client().get(match.group(1).replace("http://testserver", "")).status_code == 200


def test_times_are_shown_in_the_viewer_zone_and_named(make_workshop: Any, member: Any) -> None:
    start = datetime(2031, 3, 4, 9, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    workshop = make_workshop(
        starts_at=start, ends_at=start + timedelta(hours=1), timezone="Europe/Lisbon"
    )
    browser = browser_for(member)
    browser.cookies["tz"] = "Asia/Tokyo"
    html = page(browser, f"/workshops/{workshop.public_id}/")
    assert "Tue 4 Mar 2031, 18:30" in html
    assert "Asia/Tokyo" in html
    assert "in Europe/Lisbon, the host" in html
    browser.cookies["tz"] = "Not/AZone"
    assert "09:30" in page(browser, f"/workshops/{workshop.public_id}/")


def test_the_workshop_page_links_its_chat_room_for_those_who_may_read_it(
    make_workshop: Any, members: Any, moderator: Any, django_assert_max_num_queries: Any
) -> None:
    workshop = make_workshop(chat_enabled=True)
    url = f"/workshops/{workshop.public_id}/"
    room_link = f'href="/chat/workshop-{workshop.public_id}/"'
    attendee, stranger = members(2)
    registrations.registration_create(workshop=workshop, user=attendee, now=T0)

    for reader in (attendee, moderator):  # moderator: the host here
        assert room_link in page(browser_for(reader), url)
    html = page(browser_for(stranger), url)
    assert room_link not in html
    assert "A chat room for hosts and confirmed attendees." in html
    assert browser_for(stranger).get(f"/chat/workshop-{workshop.public_id}/").status_code == 404
    # The link costs one query on top of the page (9 before it).
    browser = browser_for(attendee)
    page(browser, url)
    with django_assert_max_num_queries(10):
        page(browser, url)


def test_a_workshop_without_chat_links_no_room(make_workshop: Any, member: Any) -> None:
    workshop = make_workshop()
    registrations.registration_create(workshop=workshop, user=member, now=T0)
    html = page(browser_for(member), f"/workshops/{workshop.public_id}/")
    assert 'data-testid="chat-room-link"' not in html
    assert "/chat/workshop-" not in html
