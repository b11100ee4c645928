"""Reciprocal rating rings: flagged with their evidence (after a review between two people,
and by the periodic scan), then cleared or penalised by a moderator.

While a ring is flagged its members' reviews of each other stop counting and their slots
go to other reviewers; clearing makes them count again, penalising records a penalty for
each member and keeps them out for good.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services.notifications import notification_send
from core.errors import Conflict, Forbidden, InvalidInput
from reputation import review_rules as rules
from reputation.models import ReputationEvent, ReviewAssignment, ReviewRequest, ReviewRing
from reputation.selectors.reviews import may_moderate_rings
from reputation.services.events import event_record
from reputation.services.reviews import request_tally, review_quality_record

Status = ReviewAssignment.Status


def _ring_key(members: list[int]) -> str:
    return "-".join(str(pk) for pk in sorted(members))


def _recent_reviews(reviewers: list[int] | None, now: datetime) -> list[tuple[int, int, bool]]:
    reviews = ReviewAssignment.objects.filter(
        status=Status.SUBMITTED, finished_at__gte=now - timedelta(days=rules.RING_WINDOW_DAYS)
    )
    if reviewers is not None:
        reviews = reviews.filter(reviewer_id__in=reviewers)
    return [
        (r, a, bool(ok)) for r, a, ok in reviews.values_list("reviewer_id", "author_id", "accept")
    ]


def _flag(ring: rules.Ring, now: datetime) -> ReviewRing | None:
    members = sorted(int(pk) for pk in ring.members)  # type: ignore[call-overload]
    key = _ring_key(members)
    if ReviewRing.objects.filter(key=key).exclude(state=ReviewRing.State.PENALISED).exists():
        # Flagged already, or cleared by a moderator who saw this evidence.
        return None
    by_pk = {user.pk: user for user in User.objects.filter(pk__in=members)}
    evidence = {
        "window_days": rules.RING_WINDOW_DAYS,
        "favours": [
            {
                "reviewer": str(by_pk[int(f.reviewer)].public_id),  # type: ignore[call-overload]
                "author": str(by_pk[int(f.author)].public_id),  # type: ignore[call-overload]
                **f.evidence(),
            }
            for f in ring.favours
        ],
    }
    try:
        with transaction.atomic():
            flagged = ReviewRing.objects.create(key=key, evidence=evidence)
    except IntegrityError:
        return None
    flagged.members.set(members)
    # Their reviews of each other on work still open stop counting: lock those requests
    # (in id order, without waiting: a busy one is caught at its next submission, which
    # looks the ring up again) and give each held review's slot to someone else.
    held = ReviewAssignment.objects.filter(
        reviewer_id__in=members,
        author_id__in=members,
        status=Status.SUBMITTED,
        counted=True,
        request__state=ReviewRequest.State.OPEN,
    )
    request_ids = set(held.values_list("request_id", flat=True))
    locked = list(
        ReviewRequest.objects.filter(pk__in=request_ids)
        .order_by("pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    for request_id in locked:
        count = held.filter(request_id=request_id).update(counted=False)
        ReviewRequest.objects.filter(pk=request_id).update(open_slots=F("open_slots") + count)
    return flagged


def rings_check_pair(*, first: User, second: User) -> ReviewRing | None:
    """After a review between two people: flag them if they favour each other."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        found = rules.find_rings(_recent_reviews([first.pk, second.pk], now))
        for ring in found:
            if set(ring.members) == {first.pk, second.pk}:
                return _flag(ring, now)
    return None


def rings_detect() -> int:
    """The periodic scan over every recent review: pairs and triangles of favour."""
    now = timezone.now()
    flagged = 0
    with transaction.atomic(durable=True):
        for ring in rules.find_rings(_recent_reviews(None, now)):
            flagged += _flag(ring, now) is not None
    return flagged


def _resolve(ring: ReviewRing, moderator: User, note: str, state: str) -> ReviewRing:
    if not may_moderate_rings(moderator):
        raise Forbidden("Only moderators resolve flagged rings.")
    if not isinstance(note, str) or len(note) > rules.COMMENT_MAX_LENGTH:
        raise InvalidInput(f"Use at most {rules.COMMENT_MAX_LENGTH} characters.", field="note")
    locked = ReviewRing.objects.select_for_update().get(pk=ring.pk)
    if locked.state != ReviewRing.State.FLAGGED:
        raise Conflict(f"This ring was already {locked.get_state_display().lower()}.")
    member_ids = list(locked.members.values_list("pk", flat=True))
    if moderator.pk in member_ids:
        raise Forbidden("You cannot resolve a flag about yourself.")
    locked.state = state
    locked.resolved_at = timezone.now()
    locked.resolved_by = moderator
    locked.note = note.strip()
    locked.save(update_fields=["state", "resolved_at", "resolved_by", "note"])
    return locked


def ring_clear(*, ring: ReviewRing, moderator: User, note: str = "") -> ReviewRing:
    """A moderator finds nothing wrong: the members' held reviews of each other count
    again (open work may be decided by them; decided work records whether they agreed)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = _resolve(ring, moderator, note, ReviewRing.State.CLEARED)
        members = list(locked.members.values_list("pk", flat=True))
        held = ReviewAssignment.objects.filter(
            reviewer_id__in=members, author_id__in=members, status=Status.SUBMITTED, counted=False
        )
        request_ids = sorted(set(held.values_list("request_id", flat=True)))
        for request in (
            ReviewRequest.objects.filter(pk__in=request_ids)
            .select_related("author")
            .order_by("pk")
            .select_for_update()
        ):
            reviews = list(held.filter(request=request).select_related("reviewer"))
            held.filter(request=request).update(counted=True)
            if request.state == ReviewRequest.State.DECIDED:
                if request.accepted is not None:
                    for review in reviews:
                        review_quality_record(review, request.accepted)
            else:
                # Their slots went to others meanwhile; take back what is still open.
                request.open_slots = max(0, request.open_slots - len(reviews))
                request.save(update_fields=["open_slots"])
                request_tally(request, now)
        message = "A moderator looked at your reviews and cleared them."
        for member in locked.members.all():
            # Kept, so a member who was away learns their reviews count again. Nothing of
            # the other members, nor the moderator's note (written for moderators).
            notification_send(
                user=member,
                kind="reputation.ring_cleared",
                title="A moderator cleared your reviews",
                body="Some of your reviews were held back while a moderator looked at "
                "whether they favoured a few people. The moderator found nothing wrong: "
                "they count again.",
                url=reverse("reputation:mine"),
                event={"type": "ring.cleared", "message": message},
            )
    return locked


def ring_penalise(*, ring: ReviewRing, moderator: User, note: str) -> ReviewRing:
    """A moderator confirms the collusion: each member gets a penalty event and a kept
    notification carrying the moderator's note (the reason), and their reviews of each
    other never count."""
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("Write the reason the members will read.", field="note")
    with transaction.atomic(durable=True):
        locked = _resolve(ring, moderator, note, ReviewRing.State.PENALISED)
        message = (
            "A moderator found that you and others accepted each other's work far more "
            "than anyone else's; your reputation carries a penalty."
        )
        for member in locked.members.all():
            event_record(
                user=member,
                source=ReputationEvent.Source.PENALTY,
                positive=False,
                subject=f"reputation.ring:{locked.public_id}",
                weight=5.0,
            )
            # Kept, not only pushed live: a member away from the site still learns why.
            notification_send(
                user=member,
                kind="reputation.penalty",
                title="Your reputation carries a penalty for a review ring",
                body=f"{message}\n\nThe moderator's reason: {locked.note}",
                url="/reputation/",
                event={"type": "ring.penalised", "message": message, "note": locked.note},
            )
    return locked
