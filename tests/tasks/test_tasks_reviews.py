"""Answers go to peer review at the project's rate; gold becomes reputation; authors hear
the outcome live."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.db import connections

from accounts.models import Notification
from core.errors import Forbidden
from reputation.models import ReputationEvent, ReviewRequest
from reputation.services.events import event_record
from reputation.services.reviews import review_claim_next, review_submit
from tasks.models import Answer
from tasks.services.feed import assignment_answer, item_claim_next
from tests.accounts.helpers import connected, identity_of, named
from tests.reputation.helpers import reviewers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "fields", "rate"),
    [
        ("free_text", {}, 1.0),  # peers judge free text
        ("rating", {}, 1.0),  # and ratings
        ("single_label", {}, 0.0),  # gold and aggregation judge labels
        ("pairwise", {}, 0.0),
        ("single_label", {"review_rate": 0.25}, 0.25),  # the requester may say otherwise
    ],
)
def test_review_rate_defaults_by_kind(
    make_project: Any, kind: str, fields: Any, rate: float
) -> None:
    if kind != "single_label":
        fields = {**fields, "labels": []} if kind == "pairwise" else fields
    project = make_project(items=0, publish=False, kind=kind, **fields)
    assert project.review_rate == rate


def _answer(project: Any, pioneer: Any, value: Any) -> Answer:
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    return assignment_answer(assignment=claim.assignment, pioneer=pioneer, value=value)


def test_a_free_text_answer_is_sent_to_blind_review(make_project: Any, pioneer: Any) -> None:
    project = make_project(kind="free_text", items=1, instructions="Describe it **briefly**.")
    answer = _answer(project, pioneer, "  A small cat.  ")
    [request] = ReviewRequest.objects.all()
    assert request.subject == f"tasks.answer:{answer.pk}"
    assert request.author_id == pioneer.pk
    assert request.context == {
        "title": "Animals",
        "kind": "free_text",
        "instructions_html": project.instructions_html,
        "item": {"text": "item 0"},
        "answer": "A small cat.",
    }
    assert pioneer.email not in json.dumps(request.context)


def test_label_answers_are_not_reviewed_by_default(make_project: Any, pioneer: Any) -> None:
    _answer(make_project(items=1), pioneer, "cat")
    assert ReviewRequest.objects.count() == 0


def test_gold_answers_record_gold_events(make_project: Any, pioneer: Any) -> None:
    # Twenty plain items at a gold rate of one half: both gold items come (all but surely).
    project = make_project(items=20, gold=2, gold_rate=0.5)
    values = {"gold 0": "cat", "gold 1": "dog"}
    outcomes = []
    while (claim := item_claim_next(project=project, pioneer=pioneer)) is not None:
        text = claim.assignment.item.payload["text"]
        answer = assignment_answer(
            assignment=claim.assignment, pioneer=pioneer, value=values.get(text, "cat")
        )
        if answer.is_gold:
            outcomes.append(("gold", f"tasks.answer:{answer.pk}", answer.gold_correct))
    assert sorted(outcome[2] for outcome in outcomes) == [False, True]
    events = ReputationEvent.objects.filter(user=pioneer).values_list(
        "source", "subject", "positive"
    )
    assert sorted(events) == sorted(outcomes)


def _in_own_thread(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """A fresh event loop in its own thread (a browser test's loop may own this one)."""
    errors: list[BaseException] = []

    def run() -> None:
        async def body() -> None:
            try:
                await scenario()
            finally:
                await sync_to_async(connections.close_all)()

        try:
            asyncio.run(body())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if errors:
        raise errors[0]


@pytest.mark.django_db(transaction=True)
def test_the_author_hears_the_outcome_and_reasons_live(
    make_project: Any, pioneer: Any, user_factory: Any
) -> None:
    project = make_project(kind="free_text", items=1)
    _answer(project, pioneer, "A cat.")
    people = reviewers(user_factory, 3)

    async def scenario() -> None:
        socket = await connected(pioneer)
        try:
            for person, accept, codes in zip(
                people, [True, False, True], [["clear"], ["incomplete"], []], strict=True
            ):
                claim = await sync_to_async(review_claim_next)(reviewer=person)
                assert claim is not None
                await sync_to_async(review_submit)(
                    assignment=claim.assignment,
                    reviewer=person,
                    accept=accept,
                    reason_codes=codes,
                    comment="" if accept else "Too short.",
                )
            event = await socket.receive_json_from(timeout=5)
            bell = await socket.receive_json_from(timeout=5)
        finally:
            await socket.disconnect()
        assert event["type"] == "review.decided"
        # And the bell's event: the outcome is kept, too.
        assert bell["type"] == "notification"
        assert bell["notification"]["kind"] == "review.outcome"
        assert bell["unread_count"] == 1
        assert event["accepted"] is True
        assert event["project"] == str(project.public_id)
        assert event["reviews"] == [
            {"accept": True, "reasons": ["Clear and well written"], "comment": ""},
            {"accept": False, "reasons": ["Incomplete"], "comment": "Too short."},
            {"accept": True, "reasons": [], "comment": ""},
        ]
        for person in people:
            assert str(person.public_id) not in str(event)
            assert str(person.public_id) not in str(bell)

    _in_own_thread(scenario)
    [outcome] = ReputationEvent.objects.filter(user=pioneer, source="peer_review")
    assert outcome.positive is True


def test_the_outcome_is_kept_with_the_reasons_and_never_the_reviewers(
    make_project: Any,
    pioneer: Any,
    user_factory: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    project = make_project(kind="free_text", items=1)
    _answer(project, pioneer, "A cat.")
    people = [named(person, f"Reviewer {n}") for n, person in enumerate(reviewers(user_factory, 3))]
    verdicts = [
        (True, [], "Fine by me."),
        (False, ["incomplete"], "Too short."),
        (False, ["off_topic", "low_effort"], ""),
    ]
    mail.outbox.clear()
    for n, (person, (accept, codes, comment)) in enumerate(zip(people, verdicts, strict=True)):
        claim = review_claim_next(reviewer=person)
        assert claim is not None
        # The last review decides: the outcome, the events of the author and of each
        # reviewer, and the author's one notification, not one per reviewer (35 queries,
        # 7 of them the notification; 9 for a review that decides nothing). Without
        # PostgreSQL each of the four events goes through the ORM, in about three more.
        decides = 38 if connections["default"].vendor == "postgresql" else 50
        with (
            django_capture_on_commit_callbacks(execute=True),
            django_assert_max_num_queries(decides if n == 2 else 10),
        ):
            review_submit(
                assignment=claim.assignment,
                reviewer=person,
                accept=accept,
                reason_codes=codes,
                comment=comment,
            )

    [told] = Notification.objects.all()
    request = ReviewRequest.objects.get()
    assert (told.kind, told.recipient) == ("review.outcome", pioneer)
    assert told.title == "Your answer on “Animals” was not accepted by peer review"
    assert told.body.splitlines()[1:] == [
        "Accept — “Fine by me.”",
        "Reject: Incomplete — “Too short.”",
        "Reject: Low effort or copied, Off topic",
    ]
    # Where the author reads it again: their outcomes on the review page.
    assert told.url == f"/reviews/#review-{request.public_id}"
    for person in people:
        for part in identity_of(person):
            assert part not in f"{told.title}{told.body}{told.url}"
    [message] = mail.outbox
    assert message.to == [pioneer.email]
    assert "Too short." in message.body


def test_a_higher_level_project_opens_when_reputation_reaches_its_level(
    make_project: Any, pioneer: Any
) -> None:
    project = make_project(items=1, min_level=2)
    with pytest.raises(Forbidden, match="level 2"):
        item_claim_next(project=project, pioneer=pioneer)
    for n in range(12):
        event_record(user=pioneer, source="gold", positive=True, subject=f"tests.gold:{n}")
    assert item_claim_next(project=project, pioneer=pioneer) is not None
