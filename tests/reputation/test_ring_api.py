"""Flagged review rings over the API: moderators list them with the evidence, and clear or
penalise them through the same services as the rings page. Who may call each endpoint is
in tests/test_access_matrix.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from reputation.models import ReputationEvent, ReviewAssignment, ReviewRequest, ReviewRing
from tests.conftest import sign_in_with_totp
from tests.reputation.helpers import flagged_ring, held_review, make_ring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

RINGS = "/api/v1/reputation/rings/"


def _moderator(user_factory: Any) -> APIClient:
    return sign_in_with_totp(APIClient(), user_factory(roles=[Role.MODERATOR], totp=True))


def test_moderators_see_flagged_rings_with_members_evidence_and_held_reviews(
    user_factory: Any,
) -> None:
    a, b, _ = make_ring(user_factory)
    held_review(b, a)
    ring = ReviewRing.objects.get()
    flagged_ring(user_factory(), user_factory(), state=ReviewRing.State.CLEARED)
    other = flagged_ring(user_factory(), user_factory())

    response = _moderator(user_factory).get(RINGS)

    assert response.status_code == 200, response.content
    row, other_row = response.json()["results"]
    # Held reviews are counted per ring: the other ring's members hold none.
    assert (other_row["id"], other_row["held"]) == (str(other.public_id), 0)
    assert row["id"] == str(ring.public_id)
    assert row["state"] == "flagged"
    assert {(m["id"], m["email"]) for m in row["members"]} == {
        (str(a.public_id), a.email),
        (str(b.public_id), b.email),
    }
    assert row["evidence"] == ring.evidence
    assert {(f["reviewer"], f["author"]) for f in row["evidence"]["favours"]} == {
        (str(a.public_id), str(b.public_id)),
        (str(b.public_id), str(a.public_id)),
    }
    assert row["held"] == 1
    assert row["resolved_at"] is None


def test_the_ring_list_pages_oldest_first_in_a_fixed_number_of_queries(
    user_factory: Any, django_assert_max_num_queries: Any
) -> None:
    client = _moderator(user_factory)
    rings = [flagged_ring(user_factory(), user_factory()) for _ in range(2)]
    with django_assert_max_num_queries(8) as few:
        first = client.get(RINGS, {"page_size": 2})
    rings += [flagged_ring(user_factory(), user_factory()) for _ in range(3)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(RINGS, {"page_size": 5})
    assert first.status_code == 200

    seen: list[str] = []
    url: str | None = f"{RINGS}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == [str(ring.public_id) for ring in rings]


def test_a_moderator_clears_a_ring_and_its_held_reviews_count_again(
    user_factory: Any,
) -> None:
    a, b, _ = make_ring(user_factory)
    request = held_review(b, a)
    ring = ReviewRing.objects.get()
    client = _moderator(user_factory)

    response = client.post(
        f"{RINGS}{ring.public_id}/clear/", {"note": "Same office, honest work."}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["note"], body["held"]) == (
        "cleared",
        "Same office, honest work.",
        0,
    )
    assert body["resolved_at"] is not None
    request.refresh_from_db()
    assert (request.state, request.accepted) == (ReviewRequest.State.DECIDED, True)
    assert client.get(RINGS).json()["results"] == []
    # Decided once: neither decision can follow.
    again = client.post(f"{RINGS}{ring.public_id}/clear/", format="json")
    assert again.status_code == 409
    assert "already cleared" in again.json()["detail"]
    penalise = client.post(f"{RINGS}{ring.public_id}/penalise/", {"note": "No."}, format="json")
    assert penalise.status_code == 409
    assert ReputationEvent.objects.filter(source="penalty").count() == 0


def test_a_moderator_penalises_a_ring_and_each_member_pays(user_factory: Any) -> None:
    a, b, _ = make_ring(user_factory)
    request = held_review(b, a)
    ring = ReviewRing.objects.get()
    client = _moderator(user_factory)

    response = client.post(
        f"{RINGS}{ring.public_id}/penalise/", {"note": "Sock puppets."}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["held"]) == ("penalised", 1)
    penalties = ReputationEvent.objects.filter(source="penalty", positive=False)
    assert sorted(penalties.values_list("user_id", flat=True)) == sorted([a.pk, b.pk])
    assert ReviewAssignment.objects.get(request=request).counted is False
    ring.refresh_from_db()
    assert (ring.state, ring.note) == (ReviewRing.State.PENALISED, "Sock puppets.")
    again = client.post(f"{RINGS}{ring.public_id}/penalise/", {"note": "x"}, format="json")
    assert again.status_code == 409
    assert penalties.count() == 2


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("penalise", {}),  # the decision says why
        ("penalise", {"note": ""}),
        ("penalise", {"note": "   "}),  # blank after trimming
        ("penalise", {"note": "x" * 1001}),  # longer than a review comment
        ("penalise", {"note": ["a list"]}),
        ("clear", {"note": "x" * 1001}),
        ("clear", {"note": {"an": "object"}}),
    ],
)
def test_bad_input_is_a_400_naming_note_and_decides_nothing(
    user_factory: Any, action: str, body: dict[str, Any]
) -> None:
    ring = flagged_ring(user_factory(), user_factory())

    response = _moderator(user_factory).post(
        f"{RINGS}{ring.public_id}/{action}/", body, format="json"
    )

    assert response.status_code == 400, response.content
    assert "note" in response.json()["errors"]
    ring.refresh_from_db()
    assert ring.state == ReviewRing.State.FLAGGED
    assert ReputationEvent.objects.count() == 0


@pytest.mark.parametrize("action", ["clear", "penalise"])
@pytest.mark.parametrize(
    "ring_id", [str(uuid.uuid4()), "not-a-ring"], ids=["unknown-id", "not-an-id"]
)
def test_an_unknown_ring_is_a_404(user_factory: Any, action: str, ring_id: str) -> None:
    response = _moderator(user_factory).post(
        f"{RINGS}{ring_id}/{action}/", {"note": "Sock puppets."}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No such ring."}


@pytest.mark.parametrize("action", ["clear", "penalise"])
def test_a_moderator_in_the_ring_may_not_decide_it(user_factory: Any, action: str) -> None:
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    ring = flagged_ring(moderator, user_factory())
    client = sign_in_with_totp(APIClient(), moderator)

    response = client.post(f"{RINGS}{ring.public_id}/{action}/", {"note": "Fine."}, format="json")

    assert response.status_code == 403
    assert "about yourself" in response.json()["detail"]
    ring.refresh_from_db()
    assert ring.state == ReviewRing.State.FLAGGED


def test_people_who_are_not_moderators_are_refused(user_factory: Any) -> None:
    ring = flagged_ring(user_factory(), user_factory())
    client = APIClient()
    client.force_login(user_factory(verified=True))
    assert client.get(RINGS).status_code == 403
    response = client.post(f"{RINGS}{ring.public_id}/clear/", format="json")
    assert response.status_code == 403
    ring.refresh_from_db()
    assert ring.state == ReviewRing.State.FLAGGED
