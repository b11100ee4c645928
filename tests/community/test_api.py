"""The workshop API: the contract's paths, its error shapes, and bounded query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Registration
from community.services import registrations
from tests.community.conftest import T0

pytestmark = pytest.mark.django_db


def client_for(person: Any) -> APIClient:
    client = APIClient()
    client.force_login(person)
    return client


def body(**overrides: Any) -> dict[str, Any]:
    start = timezone.now() + timedelta(days=5)
    values: dict[str, Any] = {
        "title": "Rating scales, explained",
        "description": "We go through **examples**.",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "timezone": "Africa/Nairobi",
        "capacity": 2,
        "online_url": "https://meet.example.com/rating",
        "publish": True,
    }
    values.update(overrides)
    return values


def test_hosts_create_and_the_detail_hides_the_link_until_a_seat_is_confirmed(
    moderator: Any, member_factory: Any
) -> None:
    cohost, reader = member_factory(), member_factory()
    response = client_for(moderator).post(
        "/api/v1/workshops/", body(cohosts=[str(cohost.public_id)]), format="json"
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "published"
    assert created["description_html"] == "<p>We go through <strong>examples</strong>.</p>"
    assert created["online_url"] == "https://meet.example.com/rating"  # hosts see it
    assert len(created["hosts"]) == 2
    assert created["seats_left"] == 2
    assert created["my_registration"] is None

    reader_api = client_for(reader)
    detail = reader_api.get(created["url"]).json()
    assert detail["online_url"] is None
    assert detail["place"] is None
    registered = reader_api.post(f"{created['url']}registration/")
    assert registered.status_code == 201
    detail = reader_api.get(created["url"]).json()
    assert detail["online_url"] == "https://meet.example.com/rating"
    assert detail["my_registration"]["status"] == "confirmed"
    assert detail["seats_left"] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        # the end before the start
        ({"ends_at": (timezone.now() + timedelta(days=4)).isoformat()}, "ends_at"),
        # not a number
        ({"capacity": "many"}, "capacity"),
        # not a time
        ({"starts_at": "next tuesday"}, "starts_at"),
        # a co-host nobody is
        ({"cohosts": ["00000000-0000-0000-0000-000000000000"]}, "cohosts"),
        # a co-host id that is no id: the list's item is named in the message
        ({"cohosts": ["00000000-0000-0000-0000-000000000000", "abc"]}, "cohosts"),
        # a missing title
        ({"title": ""}, "title"),
        # an unknown audience
        ({"audience": "everyone"}, "audience"),
    ],
)
def test_bad_input_is_400_with_the_field(
    moderator: Any, overrides: dict[str, Any], field: str
) -> None:
    response = client_for(moderator).post("/api/v1/workshops/", body(**overrides), format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in errors.values()
    ), errors
    if overrides.get("cohosts", [""])[-1] == "abc":
        assert errors["cohosts"][0].startswith("Item 2: "), errors


def test_members_without_the_privilege_may_not_host(member: Any) -> None:
    response = client_for(member).post("/api/v1/workshops/", body(), format="json")
    assert response.status_code == 403
    assert "level 4" in response.json()["detail"]


def test_registration_states_over_the_api(make_workshop: Any, members: Any) -> None:
    workshop = make_workshop(capacity=1)
    url = f"/api/v1/workshops/{workshop.public_id}/registration/"
    seated, waiting = members(2)
    seated_api, waiting_api = client_for(seated), client_for(waiting)
    first = seated_api.post(url)
    assert first.status_code == 201
    assert first.json()["status"] == "confirmed"
    again = seated_api.post(url)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    queued = waiting_api.post(url)
    assert queued.json() == {
        "id": queued.json()["id"],
        "status": "waitlisted",
        "position": 1,
        "offer_expires_at": None,
        "attendance": "unmarked",
        "counted": False,
    }
    left = seated_api.delete(url)
    assert left.status_code == 200
    assert left.json()["status"] == "cancelled"
    assert seated_api.delete(url).status_code == 409
    offered = waiting_api.get(f"/api/v1/workshops/{workshop.public_id}/").json()["my_registration"]
    assert offered["status"] == "offered"
    assert offered["offer_expires_at"] is not None
    accepted = waiting_api.post(f"{url}accept/")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "confirmed"


@pytest.mark.parametrize(
    ("setup", "status", "words"),
    [
        # the registration window has closed
        ({"registration_closes_at": T0 - timedelta(hours=1)}, 400, "Registration closed at"),
        # verified members only, and this one is not
        ({"audience": "verified"}, 403, "verify your identity"),
        # a level the person lacks
        ({"audience": "level", "min_level": 2}, 403, "needs reputation level 2"),
        # a draft nobody but its hosts can see
        ({"publish": False}, 404, "No such workshop"),
    ],
)
def test_registration_refusals_say_why(
    make_workshop: Any, member_factory: Any, setup: dict[str, Any], status: int, words: str
) -> None:
    workshop = make_workshop(**setup)
    response = client_for(member_factory(verified=False)).post(
        f"/api/v1/workshops/{workshop.public_id}/registration/"
    )
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert Registration.objects.count() == 0


def test_leaving_or_accepting_without_a_registration_is_404(
    make_workshop: Any, member: Any
) -> None:
    workshop = make_workshop()
    api = client_for(member)
    assert api.delete(f"/api/v1/workshops/{workshop.public_id}/registration/").status_code == 404
    response = api.post(f"/api/v1/workshops/{workshop.public_id}/registration/accept/")
    assert response.status_code == 404
    assert response.json() == {"detail": "You are not registered for this workshop."}
    assert api.get("/api/v1/workshops/not-a-uuid/").status_code == 404


def test_hosts_check_people_in_over_the_api(
    make_workshop: Any, members: Any, moderator: Any
) -> None:
    now = timezone.now()
    workshop = make_workshop(starts_in=timedelta(minutes=30), now=now)
    person, stranger = members(2)
    registration = registrations.registration_create(
        workshop=workshop, user=person, now=now
    ).registration
    url = f"/api/v1/workshops/{workshop.public_id}/attendance/"
    host_api = client_for(moderator)
    marked = host_api.post(
        url, {"registration": str(registration.public_id), "attendance": "attended"}, format="json"
    )
    assert marked.status_code == 200, marked.json()
    assert marked.json()["attendance"] == "attended"
    assert marked.json()["no_shows"] == 0
    assert (
        host_api.post(
            url, {"registration": str(registration.public_id), "attendance": "maybe"}
        ).status_code
        == 400
    )
    unknown = host_api.post(
        url, {"registration": "00000000-0000-0000-0000-000000000000", "attendance": "attended"}
    )
    assert unknown.status_code == 404
    refused = client_for(stranger).post(
        url, {"registration": str(registration.public_id), "attendance": "no_show"}
    )
    assert refused.status_code == 403
    assert Registration.objects.get(pk=registration.pk).attendance == "attended"


def test_lists_take_a_fixed_number_of_queries(
    make_workshop: Any,
    member_factory: Any,
    moderator: Any,
    django_assert_max_num_queries: Any,
) -> None:
    reader = member_factory()
    for number in range(12):
        workshop = make_workshop(title=f"Session {number}", capacity=3)
        for _ in range(2):
            registrations.registration_create(workshop=workshop, user=member_factory(), now=T0)
        if number % 3 == 0:
            registrations.registration_create(workshop=workshop, user=reader, now=T0)
    api = client_for(reader)
    with django_assert_max_num_queries(6):
        page = api.get("/api/v1/workshops/?page_size=5").json()
    assert [row["title"] for row in page["results"]] == [f"Session {n}" for n in range(5)]
    assert page["results"][0]["my_status"] == "confirmed"
    assert page["next"]
    with django_assert_max_num_queries(6):
        mine = api.get("/api/v1/workshops/", {"scope": "mine"}).json()
    assert len(mine["results"]) == 4
    host_api = client_for(moderator)
    with django_assert_max_num_queries(9):
        attendees = host_api.get(f"/api/v1/workshops/{workshop.public_id}/attendees/").json()
    assert len(attendees["results"]) == 2
    assert (
        client_for(reader).get(f"/api/v1/workshops/{workshop.public_id}/attendees/").status_code
        == 403
    )


def test_the_schema_documents_the_workshop_paths(api_client: APIClient, db: None) -> None:
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in (
        "/api/v1/workshops/",
        "/api/v1/workshops/{public_id}/",
        "/api/v1/workshops/{public_id}/registration/",
        "/api/v1/workshops/{public_id}/registration/accept/",
        "/api/v1/workshops/{public_id}/attendance/",
        "/api/v1/workshops/{public_id}/calendar.ics",
        "/api/v1/me/calendar.ics",
    ):
        assert path in paths
    registration = paths["/api/v1/workshops/{public_id}/registration/"]["post"]["responses"]
    assert {"200", "201", "400", "403", "404"} <= set(registration)
