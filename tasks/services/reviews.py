"""Peer review of answers: which answers go to review, and what their authors hear back.

Reputation owns review and knows nothing of tasks: an answer is sent as the subject
`tasks.answer:<id>` with a snapshot of what a reviewer needs (the project's instructions,
the item, the answer; nothing of who wrote it), and the outcome comes back through
`reputation.signals.review_decided`, connected in `TasksConfig.ready`.
"""

from __future__ import annotations

import secrets
from typing import Any

from accounts.services.sockets import notify_user
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


def review_outcome_notify(*, request: ReviewRequest, reviews: list[dict[str, Any]]) -> None:
    """Tell the author, live on /ws/feed/, how peers judged their answer and why."""
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
    notify_user(
        user=answer.pioneer,
        event={
            "type": "review.decided",
            "review": str(request.public_id),
            "project": str(answer.project.public_id),
            "title": answer.project.title,
            "accepted": bool(request.accepted),
            "message": f"Your answer on “{answer.project.title}” was {verdict} by peer review.",
            # What each reviewer said, in the order they said it; never who they are.
            "reviews": [
                {
                    "accept": said["accept"],
                    "reasons": said["reason_labels"],
                    "comment": said["comment"],
                }
                for said in reviews
            ],
        },
    )


def on_review_decided(
    sender: Any, request: ReviewRequest, reviews: list[Any], **kwargs: Any
) -> None:
    review_outcome_notify(request=request, reviews=reviews)
