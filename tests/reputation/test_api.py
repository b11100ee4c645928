"""The reputation API: the public feed and scores, my standing, penalties and appeals."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from core.errors import Forbidden
from reputation import scoring
from reputation.models import Penalty, ReputationEvent, ReputationScore
from reputation.selectors.feed import person_pseudonym
from reputation.services.events import event_record
from reputation.services.penalties import penalty_impose
from reputation.services.scores import scores_recompute
from tests.conftest import sign_in_with_totp

pytestmark = pytest.mark.django_db


def _gold(user: Any, count: int, positive: bool = True) -> None:
    for n in range(count):
        event_record(user=user, source="gold", positive=positive, subject=f"t.a:{n}")


def test_the_event_feed_pages_with_after_and_names_nobody(
    user_factory: Any, django_assert_max_num_queries: Any
) -> None:
    people = [user_factory() for _ in range(3)]
    for person in people:
        _gold(person, 4)
    client = APIClient()
    with django_assert_max_num_queries(2):
        first = client.get("/api/v1/reputation/events/?limit=5").json()
    assert [event["id"] for event in first["results"]] == sorted(
        ReputationEvent.objects.values_list("id", flat=True)
    )[:5]
    rest = client.get(first["next"]).json()
    assert len(rest["results"]) == 5
    last = client.get(rest["next"]).json()
    assert len(last["results"]) == 2
    assert last["next"] is None
    body = str(first) + str(rest) + str(last)
    for person in people:
        assert person.email not in body
        assert str(person.public_id) not in body
    assert "t.a:" not in body  # subjects can point at content
    assert first["results"][0]["person"] == person_pseudonym(people[0])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=-1", "after"),  # ids are never negative
        ("after=x", "after"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),  # pages are bounded
    ],
)
def test_the_event_feed_refuses_bad_cursors(query: str, field: str) -> None:
    response = APIClient().get(f"/api/v1/reputation/events/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_public_scores_match_the_rebuild_from_events(
    user_factory: Any, django_assert_max_num_queries: Any
) -> None:
    people = [user_factory() for _ in range(5)]
    for n, person in enumerate(people):
        _gold(person, 4 + 5 * n)
        _gold(person, n, positive=False)
    client = APIClient()
    with django_assert_max_num_queries(5):
        page = client.get("/api/v1/reputation/scores/").json()
    facts = [
        scoring.EventFact(
            event.id,
            person_pseudonym(event.user),
            event.day,
            event.positive,
            scoring.weight_milli(event.weight),
        )
        for event in ReputationEvent.objects.select_related("user")
    ]
    rebuilt = scoring.rebuild_all(facts, page["day"], scoring.Rules())
    served = {
        row["person"]: (row["score"], row["evidence"], row["level"]) for row in page["results"]
    }
    assert served == {
        person: (state.score, state.evidence, state.level) for person, state in rebuilt.items()
    }
    assert page["through_event"] == max(fact.id for fact in facts)
    assert {row["level"] for row in page["results"]} >= {1, 2}


def test_my_reputation_says_what_the_next_level_needs(user: Any) -> None:
    _gold(user, 3)
    client = APIClient()
    client.force_login(user)
    body = client.get("/api/v1/reputation/me/").json()
    assert body["level"] == 1
    assert body["next_step"]["level"] == 2
    assert f"{body['next_step']['gains']} more good outcomes" in body["next_step"]["words"]
    assert [event["words"] for event in body["events"]] == ["Correct answer to a gold question"] * 3
    me = client.get("/api/v1/me/").json()
    assert me["reputation_next_step"] == body["next_step"]


def test_a_penalty_is_seen_appealed_once_and_overturned(user_factory: Any) -> None:
    person = user_factory()
    _gold(person, 12)
    assert ReputationScore.objects.get(user=person).level == 2
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    other_moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    staff = sign_in_with_totp(APIClient(), moderator)
    created = staff.post(
        "/api/v1/reputation/penalties/",
        {"person": str(person.public_id), "reason": "copied", "explanation": "Same as another."},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert ReputationScore.objects.get(user=person).level == 1
    client = APIClient()
    client.force_login(person)
    [seen] = client.get("/api/v1/reputation/me/").json()["penalties"]
    assert seen["reason_words"] == "Copied or machine-generated work"
    assert seen["can_appeal"] is True
    url = f"/api/v1/reputation/penalties/{seen['id']}/"
    assert client.post(url + "appeal/", {"text": "Mine."}, format="json").status_code == 200
    again = client.post(url + "appeal/", {"text": "Really."}, format="json")
    assert again.status_code == 409
    assert "once" in again.json()["detail"]
    decider = sign_in_with_totp(APIClient(), other_moderator)
    decided = decider.post(
        url + "decide/", {"decision": "overturned", "note": "Ok."}, format="json"
    )
    assert decided.status_code == 200, decided.content
    score = ReputationScore.objects.get(user=person)
    assert score.level == 2
    assert score.total == 12.0
    assert scores_recompute().differed == []
    twice = decider.post(url + "decide/", {"decision": "upheld", "note": "No."}, format="json")
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "rude", "explanation": "x"}, "reason"),  # not a reason code
        ({"reason": "copied", "explanation": ""}, "explanation"),  # the person must learn why
        ({"reason": "copied", "explanation": "x", "weight": 50}, "weight"),
        ({"reason": "copied", "explanation": "x", "person": "nobody"}, "person"),
    ],
)
def test_bad_penalties_are_refused_and_nothing_is_written(
    user_factory: Any, body: dict[str, Any], field: str
) -> None:
    person = user_factory()
    staff = sign_in_with_totp(APIClient(), user_factory(roles=[Role.MODERATOR], totp=True))
    response = staff.post(
        "/api/v1/reputation/penalties/",
        {"person": str(person.public_id), **body},
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Penalty.objects.count() == 0
    assert ReputationEvent.objects.count() == 0


def test_a_moderator_cannot_penalise_themselves(user_factory: Any) -> None:
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    with pytest.raises(Forbidden):
        penalty_impose(moderator=moderator, user=moderator, reason="copied", explanation="x")
    assert ReputationEvent.objects.count() == 0
