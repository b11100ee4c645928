"""Reads of peer review: a review handed to a reviewer, what reviewers said about an
author's work (never who said it), and the flagged rings moderators decide on."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from core.errors import Forbidden, NotFound
from reputation import review_rules as rules
from reputation.models import ReviewAssignment, ReviewRequest, ReviewRing

Status = ReviewAssignment.Status


def may_moderate_rings(user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm("accounts.moderate_community"))


def ring_partners(user: User) -> QuerySet[User]:
    """People who share a ring with `user` that is flagged (until a moderator looks) or
    was penalised (for good): their reviews of each other do not count."""
    rings = ReviewRing.objects.filter(
        state__in=[ReviewRing.State.FLAGGED, ReviewRing.State.PENALISED], members=user
    )
    return User.objects.filter(
        Exists(
            ReviewRing.members.through.objects.filter(user_id=OuterRef("pk"), reviewring__in=rings)
        )
    ).exclude(pk=user.pk)


def review_for_reviewer(*, reviewer: User, public_id: Any) -> ReviewAssignment:
    """A review handed to this reviewer; anyone else's looks like none at all (404)."""
    try:
        key = public_id if isinstance(public_id, UUID) else UUID(str(public_id))
    except ValueError:
        raise NotFound("No such review.") from None
    assignment = (
        ReviewAssignment.objects.select_related("request")
        .filter(public_id=key, reviewer=reviewer)
        .first()
    )
    if assignment is None:
        raise NotFound("No such review.")
    return assignment


def verdict_of(review: ReviewAssignment) -> dict[str, Any]:
    """A submitted review as its author sees it: the verdict and reasons, never who."""
    return {
        "accept": review.accept,
        "reason_codes": list(review.reason_codes),
        "reason_labels": [rules.REASONS[code] for code in review.reason_codes],
        "comment": review.comment,
    }


def reviews_of_author(*, author: User, limit: int = 20) -> list[dict[str, Any]]:
    """The author's latest reviewed work: outcome and what reviewers said, never who."""
    requests = list(
        ReviewRequest.objects.filter(author=author).order_by("-created_at", "-pk")[:limit]
    )
    said: dict[int, list[dict[str, Any]]] = {request.pk: [] for request in requests}
    for review in ReviewAssignment.objects.filter(
        request__in=requests, status=Status.SUBMITTED, counted=True
    ).order_by("finished_at", "pk"):
        said[review.request_id].append(verdict_of(review))
    return [
        {
            "id": str(request.public_id),
            "title": request.context.get("title", ""),
            "state": request.state,
            "accepted": request.accepted,
            "reviews_needed": request.needed,
            "reviews": said[request.pk] if request.state == ReviewRequest.State.DECIDED else [],
            "decided_at": request.decided_at,
        }
        for request in requests
    ]


def rings_open() -> QuerySet[ReviewRing]:
    return ReviewRing.objects.filter(state=ReviewRing.State.FLAGGED).prefetch_related("members")


def rings_for_moderator(*, moderator: User) -> QuerySet[ReviewRing]:
    """Flagged rings with their members and `held`: how many of the members' reviews of
    each other are held back, counted in the same query (the page of rings is one query
    and one for the members, however long it is)."""
    if not may_moderate_rings(moderator):
        raise Forbidden("Only moderators see flagged rings.")
    members = ReviewRing.members.through.objects.filter(
        reviewring_id=OuterRef(OuterRef("pk"))
    ).values("user_id")
    held = (
        ReviewAssignment.objects.filter(
            reviewer_id__in=members, author_id__in=members, counted=False
        )
        .order_by()
        .values("counted")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return rings_open().annotate(
        held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0))
    )


def ring_for_moderator(*, moderator: User, public_id: Any) -> ReviewRing:
    if not may_moderate_rings(moderator):
        raise Forbidden("Only moderators see flagged rings.")
    try:
        key = public_id if isinstance(public_id, UUID) else UUID(str(public_id))
    except ValueError:
        raise NotFound("No such ring.") from None
    ring = ReviewRing.objects.filter(public_id=key).first()
    if ring is None:
        raise NotFound("No such ring.")
    return ring


def held_reviews(*, ring: ReviewRing) -> int:
    members = list(ring.members.values_list("pk", flat=True))
    return ReviewAssignment.objects.filter(
        Q(reviewer_id__in=members) & Q(author_id__in=members), counted=False
    ).count()
