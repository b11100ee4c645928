"""Shared set-up for peer review tests: reviewers at a level, requests to review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import TestCase
from django.utils import timezone

from accounts.models import User
from reputation.models import ReputationScore, ReviewAssignment, ReviewRequest, ReviewRing
from reputation.selectors.standing import user_level
from reputation.services.events import event_record
from reputation.services.reviews import review_claim_next, review_request_create, review_submit

CONTEXT = {
    "title": "Describe the photo",
    "kind": "free_text",
    "instructions_html": "<p>One sentence about what you see.</p>",
    "item": {"text": "a cat on a mat"},
    "answer": "A cat sits on a mat.",
}


# Weighted evidence (positive, total) that sits well inside each level, so a few more
# events in a test do not move anyone across a boundary.
LEVEL_EVIDENCE = {1: (2.0, 4.0), 2: (27.0, 30.0), 3: (95.0, 100.0), 4: (290.0, 300.0)}


def at_level(user: User, level: int) -> User:
    """Put `user` at `level` through real evidence (gold answers) recorded on the days
    before today, oldest first, at most the daily gain cap a day, so later events in a test
    move the score as they would for anyone."""
    positive, total = LEVEL_EVIDENCE[level]
    per_day = float(settings.REPUTATION_DAILY_GAIN_CAP)
    weight = min(10.0, per_day)
    gains = int(positive // weight)
    losses = int((total - positive) // weight) or (1 if total > positive else 0)
    days = int(-(-gains * weight // per_day)) + 1
    start = timezone.now() - timedelta(days=days)
    for n in range(losses):
        event_record(
            user=user, source="gold", positive=False, subject=f"tests.level:-{n}",
            weight=min(weight, total - positive), at=start,
        )  # fmt: skip
    per_event_day = max(1, int(per_day // weight))
    for n in range(gains):
        event_record(
            user=user, source="gold", positive=True, subject=f"tests.level:{n}",
            weight=weight, at=start + timedelta(days=n // per_event_day),
        )  # fmt: skip
    reached = user_level(user=user)
    assert reached == level, f"set-up reached level {reached}, not {level}"
    return user


def with_score(user: User, level: int, score: float) -> User:
    """A stored score and level with no evidence behind them, for a test that reads a
    reviewer's weight before any event of theirs is recorded (the next one rebuilds it)."""
    positive, total = LEVEL_EVIDENCE[level]
    ReputationScore.objects.update_or_create(
        user=user, defaults={"level": level, "score": score, "total": total, "positive": positive}
    )
    return user


def reviewers(user_factory: Any, count: int, level: int = 2) -> list[User]:
    return [at_level(user_factory(), level) for _ in range(count)]


def request_review(author: User, n: int = 0, **kwargs: Any) -> ReviewRequest:
    return review_request_create(
        subject=f"tests.work:{author.pk}-{n}", author=author, context=dict(CONTEXT), **kwargs
    )


def review_once(person: User, accept: bool) -> ReviewRequest:
    claim = review_claim_next(reviewer=person)
    assert claim is not None
    # The pair check is a job sent on commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(
            assignment=claim.assignment,
            reviewer=person,
            accept=accept,
            reason_codes=[] if accept else ["low_effort"],
        )
    return claim.assignment.request


def make_ring(user_factory: Any) -> tuple[User, User, User]:
    """a and b each reject all of c's work and accept all of each other's."""
    a, b = reviewers(user_factory, 2)
    c = user_factory()
    for n in range(6):
        request_review(c, n, needed=1)
    for n in range(3):
        request_review(b, n, needed=1)
    for n in range(3):
        request_review(a, n, needed=1)
    for person in (a, b):
        for _ in range(3):
            assert review_once(person, False).author_id == c.pk
        for _ in range(3):
            assert review_once(person, True).author_id != c.pk
    return a, b, c


def held_review(reviewer: User, author: User) -> ReviewRequest:
    """A reservation taken before the flag went up (made by hand: a claim after it would
    not hand the work out), then submitted."""
    request = request_review(author, 20, needed=1)
    now = timezone.now()
    ReviewRequest.objects.filter(pk=request.pk).update(open_slots=0)
    held = ReviewAssignment.objects.create(
        request=request,
        reviewer=reviewer,
        author=author,
        created_at=now,
        expires_at=now + timedelta(minutes=5),
    )
    review_submit(assignment=held, reviewer=reviewer, accept=True)
    request.refresh_from_db()
    return request


def flagged_ring(*members: User, state: str = ReviewRing.State.FLAGGED) -> ReviewRing:
    """A ring made by hand, for tests about the list rather than about detection."""
    ring = ReviewRing.objects.create(
        key="-".join(str(member.pk) for member in sorted(members, key=lambda m: m.pk)),
        evidence={"window_days": 30, "favours": []},
        state=state,
    )
    ring.members.set(members)
    return ring
