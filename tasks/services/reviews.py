"""Peer review of answers: which answers go to review, and what their authors hear back.

Reputation owns review and knows nothing of tasks: an answer is sent as the subject
`tasks.answer:<id>` with a snapshot of what a reviewer needs (the project's instructions,
the item, the answer; nothing of who wrote it), and the outcome comes back through
`reputation.signals.review_decided`, connected in `TasksConfig.ready`.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.urls import reverse

from accounts.services.notifications import notification_send
from reputation.models import ReviewRequest
from reputation.services.reviews import review_request_create
from tasks.models import Answer, Project

SUBJECT = "tasks.answer:"


def _wants_review(rate: float) -> bool:
    # Whether an answer is reviewed is drawn per answer: the author cannot tell in advance.
    return rate >= 1 or (rate > 0 and secrets.randbelow(1_000_000) < rate * 1_000_000)


def answer_review_context(*, answer: Answer, project: Project) -> dict[str, Any]:
    return {
        "title": project.title,
        "kind": project.kind,
        "instructions_html": project.instructions_html,
        "item": answer.item.payload,
        "answer": answer.value,
    }


def answer_review_maybe(*, answer: Answer) -> ReviewRequest | None:
    """Ask peers to review `answer` at its project's `review_rate` (gold answers are judged
    by their gold answer instead). Joins the caller's transaction when there is one."""
    project = answer.project
    if answer.is_gold or not _wants_review(project.review_rate):
        return None
    return review_request_create(
        subject=f"{SUBJECT}{answer.pk}",
        author=answer.pioneer,
        context=answer_review_context(answer=answer, project=project),
    )


def _said_line(said: dict[str, Any]) -> str:
    line = "Accept" if said["accept"] else "Reject"
    if said["reasons"]:
        line += ": " + ", ".join(said["reasons"])
    if said["comment"]:
        line += f" — “{said['comment']}”"
    return line


def review_outcome_notify(*, request: ReviewRequest, reviews: list[dict[str, Any]]) -> None:
    """Tell the author how peers judged their answer and why: live on /ws/feed/ and kept
    (under the bell, e-mailed when away), linking to their outcomes on the review page.
    What each reviewer said, in the order they said it; never who they are."""
    if not request.subject.startswith(SUBJECT):
        return
    answer = (
        Answer.objects.select_related("project", "pioneer")
        .filter(pk=int(request.subject.removeprefix(SUBJECT)))
        .first()
    )
    if answer is None:
        return
    verdict = "accepted" if request.accepted else "not accepted"
    message = f"Your answer on “{answer.project.title}” was {verdict} by peer review."
    said = [
        {"accept": one["accept"], "reasons": one["reason_labels"], "comment": one["comment"]}
        for one in reviews
    ]
    notification_send(
        user=answer.pioneer,
        kind="review.outcome",
        title=message.removesuffix("."),
        body="What the reviewers said:\n" + "\n".join(_said_line(one) for one in said),
        url=f"{reverse('reviews:work')}#review-{request.public_id}",
        event={
            "type": "review.decided",
            "review": str(request.public_id),
            "project": str(answer.project.public_id),
            "title": answer.project.title,
            "accepted": bool(request.accepted),
            "message": message,
            "reviews": said,
        },
    )


def on_review_decided(
    sender: Any, request: ReviewRequest, reviews: list[Any], **kwargs: Any
) -> None:
    review_outcome_notify(request=request, reviews=reviews)
