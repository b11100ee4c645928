"""Shared set-up for peer review tests: reviewers at a level, requests to review."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from reputation.models import ReputationScore, ReviewRequest
from reputation.reviews import review_request_create

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


def at_level(user: User, level: int, score: float = 0.7) -> User:
    """Put `user` at `level` (set-up only: real levels come from events)."""
    positive, total = LEVEL_EVIDENCE[level]
    ReputationScore.objects.update_or_create(
        user=user,
        defaults={"level": level, "score": score, "total": total, "positive": positive},
    )
    return user


def reviewers(user_factory: Any, count: int, level: int = 2) -> list[User]:
    return [at_level(user_factory(), level) for _ in range(count)]


def request_review(author: User, n: int = 0, **kwargs: Any) -> ReviewRequest:
    return review_request_create(
        subject=f"tests.work:{author.pk}-{n}", author=author, context=dict(CONTEXT), **kwargs
    )
