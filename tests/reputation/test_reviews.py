"""Blind, assigned peer review through the API and the services, on the real database."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from reputation.models import ReputationEvent, ReviewAssignment, ReviewRequest
from reputation.selectors.reviews import reviews_of_author
from reputation.services.reviews import review_claim_next
from reputation.signals import review_decided
from tests.reputation.helpers import CONTEXT, at_level, request_review, reviewers, with_score

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

NEXT = "/api/v1/reviews/next/"


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def take(user: User) -> dict[str, Any]:
    response = client_for(user).get(NEXT)
    assert response.status_code == 200, response.content
    return dict(response.json())


def verdict(user: User, review_id: str, body: dict[str, Any]) -> Any:
    return client_for(user).post(f"/api/v1/reviews/{review_id}/", body, format="json")


def test_the_reviewer_sees_the_work_and_instructions_and_nothing_of_the_author(
    user_factory: Any,
) -> None:
    author = user_factory(email="author-secret@example.com")
    request_review(author)
    [reviewer] = reviewers(user_factory, 1)

    body = take(reviewer)

    assert body["work"] == {name: CONTEXT[name] for name in body["work"]}
    assert set(body["work"]) == {"title", "kind", "instructions_html", "item", "answer"}
    assert {r["code"] for r in body["reasons"]["reject"]} >= {"inaccurate", "off_topic"}
    text = json.dumps(body)
    for secret in (author.email, str(author.public_id), f'"{author.pk}"'):
        assert secret not in text


def test_asking_again_returns_the_held_review(user_factory: Any) -> None:
    author = user_factory()
    request_review(author, 0)
    request_review(author, 1)
    [reviewer] = reviewers(user_factory, 1)
    assert take(reviewer)["id"] == take(reviewer)["id"]
    assert ReviewAssignment.objects.filter(reviewer=reviewer).count() == 1


def test_three_reviews_decide_by_weighted_majority_and_record_events(user_factory: Any) -> None:
    author = user_factory()
    request = request_review(author)
    heavy, light_one, light_two = reviewers(user_factory, 3)
    with_score(heavy, 3, score=0.95)
    with_score(light_one, 2, score=0.0)
    with_score(light_two, 2, score=0.0)
    heard: list[dict[str, Any]] = []

    def listen(sender: Any, request: ReviewRequest, reviews: list[Any], **kw: Any) -> None:
        heard.append({"subject": request.subject, "accepted": request.accepted, "said": reviews})

    review_decided.connect(listen)
    try:
        # The heavy reviewer rejects; two light ones accept: 1.0 + 1.0 > 1.95.
        reject = {"accept": False, "reason_codes": ["incomplete"], "comment": "Say more."}
        for person, body in [
            (heavy, reject),
            (light_one, {"accept": True}),
            (light_two, {"accept": True, "reason_codes": ["clear"]}),
        ]:
            response = verdict(person, take(person)["id"], body)
            assert response.status_code == 201, response.content
    finally:
        review_decided.disconnect(listen)

    request.refresh_from_db()
    assert request.state == ReviewRequest.State.DECIDED
    assert request.accepted is True
    assert request.accept_weight == pytest.approx(2.0)
    assert request.reject_weight == pytest.approx(1.95)
    [outcome] = ReputationEvent.objects.filter(source="peer_review")
    assert (outcome.user_id, outcome.positive, outcome.subject) == (
        author.pk,
        True,
        request.subject,
    )
    quality = dict(
        ReputationEvent.objects.filter(source="review_quality").values_list("user_id", "positive")
    )
    assert quality == {heavy.pk: False, light_one.pk: True, light_two.pk: True}
    assert heard == [
        {
            "subject": request.subject,
            "accepted": True,
            "said": [
                {
                    "accept": False,
                    "reason_codes": ["incomplete"],
                    "reason_labels": ["Incomplete"],
                    "comment": "Say more.",
                },
                {"accept": True, "reason_codes": [], "reason_labels": [], "comment": ""},
                {
                    "accept": True,
                    "reason_codes": ["clear"],
                    "reason_labels": ["Clear and well written"],
                    "comment": "",
                },
            ],
        }
    ]
    # The author reads the outcome and the reasons, never who gave them.
    [mine] = reviews_of_author(author=author)
    assert mine["accepted"] is True
    assert [r["reason_codes"] for r in mine["reviews"]] == [["incomplete"], [], ["clear"]]
    assert str(heavy.public_id) not in json.dumps(mine, default=str)


def test_a_request_is_never_handed_to_more_reviewers_than_it_needs(user_factory: Any) -> None:
    request_review(user_factory(), needed=2)
    first, second, third = reviewers(user_factory, 3)
    take(first)
    take(second)
    assert client_for(third).get(NEXT).status_code == 204


def test_nobody_is_handed_their_own_work(user_factory: Any) -> None:
    [author] = reviewers(user_factory, 1)
    request_review(author)
    assert client_for(author).get(NEXT).status_code == 204


def test_the_same_reviewer_reviews_the_same_author_a_few_times_a_month(user_factory: Any) -> None:
    author = user_factory()
    for n in range(5):
        request_review(author, n)
    [reviewer] = reviewers(user_factory, 1)
    for _ in range(3):
        response = verdict(reviewer, take(reviewer)["id"], {"accept": True})
        assert response.status_code == 201
    assert client_for(reviewer).get(NEXT).status_code == 204
    # Someone else's work is still offered.
    request_review(user_factory(), 0)
    assert client_for(reviewer).get(NEXT).status_code == 200


def test_level_one_may_not_review(user_factory: Any) -> None:
    request_review(user_factory())
    newcomer = user_factory()
    assert client_for(newcomer).get(NEXT).status_code == 403
    assert ReviewAssignment.objects.count() == 0


def test_an_expired_reservation_goes_back_to_the_pool(user_factory: Any) -> None:
    request = request_review(user_factory(), needed=1)
    first, second = reviewers(user_factory, 2)
    take(first)
    ReviewAssignment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert take(second)
    request.refresh_from_db()
    assert request.open_slots == 0
    assert list(ReviewAssignment.objects.values_list("reviewer_id", "status").order_by("pk")) == [
        (first.pk, "expired"),
        (second.pk, "reserved"),
    ]


# --- Refusals: a clear message, nothing recorded -----------------------------------------


def _expired(reviewer: User, author: User) -> str:
    review_id = take(reviewer)["id"]
    ReviewAssignment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    return str(review_id)


def _twice(reviewer: User, author: User) -> str:
    review_id = take(reviewer)["id"]
    assert verdict(reviewer, review_id, {"accept": True}).status_code == 201
    return str(review_id)


def _own(reviewer: User, author: User) -> str:
    # Never handed out; made by hand to show the submission refuses it too.
    own = request_review(reviewer, 99)
    now = timezone.now()
    made = ReviewAssignment.objects.create(
        request=own,
        reviewer=reviewer,
        author=reviewer,
        created_at=now,
        expires_at=now + timedelta(minutes=5),
    )
    return str(made.public_id)


def _foreign(reviewer: User, author: User) -> str:
    other = at_level(User.objects.create(email="other-reviewer@example.com"), 2)
    return str(review_claim_next(reviewer=other).assignment.public_id)  # type: ignore[union-attr]


def _fresh(reviewer: User, author: User) -> str:
    return str(take(reviewer)["id"])


@pytest.mark.parametrize(
    ("make", "body", "status", "field", "message"),
    [
        (_expired, {"accept": True}, 409, "review", "The reservation expired"),
        (_twice, {"accept": False, "reason_codes": ["off_topic"]}, 409, "review", "already"),
        (_own, {"accept": True}, 403, "review", "your own work"),
        (_foreign, {"accept": True}, 404, None, "No such review"),
        (_fresh, {"accept": False}, 400, "reason_codes", "Say why"),
        (_fresh, {"accept": True, "reason_codes": ["off_topic"]}, 400, "reason_codes", "Not a"),
        (_fresh, {"accept": True, "reason_codes": ["bribe"]}, 400, "reason_codes", "valid"),
        (_fresh, {"accept": "maybe"}, 400, "accept", "valid"),
        (_fresh, {}, 400, "accept", "required"),
    ],
)
def test_refused_verdicts_say_why_and_record_nothing(
    user_factory: Any, make: Any, body: dict[str, Any], status: int, field: str | None, message: str
) -> None:
    author = user_factory()
    request_review(author, 0, needed=1)
    request_review(author, 1, needed=1)
    [reviewer] = reviewers(user_factory, 1)
    review_id = make(reviewer, author)
    submitted_before = ReviewAssignment.objects.filter(status="submitted").count()
    events_before = ReputationEvent.objects.count()

    response = verdict(reviewer, review_id, body)

    assert response.status_code == status, response.content
    payload = response.json()
    text = json.dumps(payload["errors"][field] if field else payload["detail"])
    assert message in text, payload
    assert ReviewAssignment.objects.filter(status="submitted").count() == submitted_before
    assert ReputationEvent.objects.count() == events_before


def test_a_bad_review_id_is_404(user_factory: Any) -> None:
    [reviewer] = reviewers(user_factory, 1)
    assert verdict(reviewer, "not-a-uuid", {"accept": True}).status_code == 404
