"""Blind, assigned peer review: requests, reservations, verdicts, outcomes and rings.

An app that owns a piece of work asks for its review (`review_request_create`) with a
generic subject and a snapshot of what a reviewer needs; a level-2 reviewer is handed one
request at a time (`review_claim_next`), never their own work, never an author they
reviewed `PAIR_LIMIT` times in `PAIR_WINDOW_DAYS`, never one they share a flagged ring
with; the verdict (`review_submit`) counts towards the request's `needed` reviews; the
reputation-weighted majority decides, events are recorded for the author (peer_review)
and each reviewer (review_quality), and `signals.review_decided` tells the owning app.

Lock order, as in the task feed: a reviewer's own reservation, then requests with SKIP
LOCKED (a claim waits for at most one request, holding none of its own); a submission
locks its request, then its assignment; reclaiming takes both with SKIP LOCKED and never
waits. Every service here is one durable transaction, except `review_request_create`,
which joins the transaction of the decision it comes from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.services import notify_user
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.jobs import enqueue_on_commit
from reputation import review_rules as rules
from reputation.models import (
    ReputationEvent,
    ReputationScore,
    ReviewAssignment,
    ReviewRequest,
    ReviewRing,
)
from reputation.selectors import has_privilege
from reputation.services import event_record
from reputation.signals import review_decided

RECLAIM_ON_CLAIM = 20
REVIEW_FIELD = "review"

Status = ReviewAssignment.Status


@dataclass(frozen=True)
class ReviewClaim:
    assignment: ReviewAssignment
    created: bool


def require_reviewer(user: User) -> None:
    if not has_privilege(user, "review_peers"):
        raise Forbidden("Reviewing peers opens at reputation level 2.")


def may_moderate_rings(user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm("accounts.moderate_community"))


# --- Asking for a review ------------------------------------------------------------------


def review_request_create(
    *,
    subject: str,
    author: User,
    context: dict[str, Any],
    needed: int | None = None,
    reservation_seconds: int = 600,
) -> ReviewRequest:
    """Ask for `needed` independent reviews of `subject` (`"<app>.<thing>:<id>"`), by
    `author`. `context` is what reviewers see and must not identify the author. Joins the
    caller's transaction (the answer it is about), so not durable; asking twice for one
    subject returns the first request. `needed` defaults to REPUTATION_REVIEWS_NEEDED."""
    if needed is None:
        needed = int(getattr(settings, "REPUTATION_REVIEWS_NEEDED", rules.DEFAULT_REVIEWS))
    if not 1 <= needed <= rules.MAX_REVIEWS:
        raise ValueError(f"needed: must be 1 to {rules.MAX_REVIEWS}")
    with transaction.atomic():
        request, _ = ReviewRequest.objects.get_or_create(
            subject=subject,
            defaults={
                "author": author,
                "context": context,
                "needed": needed,
                "open_slots": needed,
                "reservation_seconds": reservation_seconds,
            },
        )
    return request


# --- Reclaiming ---------------------------------------------------------------------------


def _reclaim(*, now: datetime, limit: int) -> int:
    """Expired reservations give their slot back. SKIP LOCKED on both row sets: whatever
    is busy now is left for the next sweep, so this never waits."""
    rows = list(
        ReviewAssignment.objects.filter(status=Status.RESERVED, expires_at__lte=now)
        .select_for_update(skip_locked=True)
        .order_by("expires_at")
        .values_list("pk", "request_id")[:limit]
    )
    if not rows:
        return 0
    lockable = set(
        ReviewRequest.objects.filter(pk__in={request_id for _, request_id in rows})
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    taken = [(pk, request_id) for pk, request_id in rows if request_id in lockable]
    if not taken:
        return 0
    ReviewAssignment.objects.filter(pk__in=[pk for pk, _ in taken]).update(
        status=Status.EXPIRED, finished_at=now
    )
    for request_id, count in Counter(request_id for _, request_id in taken).items():
        ReviewRequest.objects.filter(pk=request_id, state=ReviewRequest.State.OPEN).update(
            open_slots=F("open_slots") + count
        )
    return len(taken)


def review_reservations_reclaim(*, limit: int = 500) -> int:
    """The periodic sweep: every expired review reservation goes back to the pool."""
    total = 0
    while True:
        with transaction.atomic(durable=True):
            done = _reclaim(now=timezone.now(), limit=limit)
        total += done
        if done < limit:
            return total


# --- Claiming -----------------------------------------------------------------------------


def _ring_partners(user: User) -> QuerySet[User]:
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


def _open_requests(reviewer: User, now: datetime) -> QuerySet[ReviewRequest]:
    capped = (
        ReviewAssignment.objects.filter(
            reviewer=reviewer,
            created_at__gte=now - timedelta(days=rules.PAIR_WINDOW_DAYS),
            status__in=[Status.RESERVED, Status.SUBMITTED],
        )
        .values("author")
        .annotate(times=Count("pk"))
        .filter(times__gte=rules.PAIR_LIMIT)
        .values("author")
    )
    had = ReviewAssignment.objects.filter(request=OuterRef("pk"), reviewer=reviewer)
    return (
        ReviewRequest.objects.filter(state=ReviewRequest.State.OPEN, open_slots__gt=0)
        .exclude(author=reviewer)
        .exclude(author__in=capped)
        .exclude(author__in=_ring_partners(reviewer).values("pk"))
        .filter(~Exists(had))
    )


def _take(reviewer: User, now: datetime, *, wait: bool) -> ReviewRequest | None:
    """Lock the oldest open request nobody else holds and take one of its slots. With SKIP
    LOCKED concurrent reviewers pass over each other's rows; `wait` queues behind one
    instead, for the last slots."""
    request = (
        _open_requests(reviewer, now)
        .order_by("created_at", "pk")
        .select_for_update(skip_locked=not wait, of=("self",))
        .first()
    )
    if request is not None:
        ReviewRequest.objects.filter(pk=request.pk).update(open_slots=F("open_slots") - 1)
        request.open_slots -= 1
    return request


def _claim(reviewer: User, now: datetime) -> ReviewClaim | None:
    held = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("request")
        .filter(reviewer=reviewer, status=Status.RESERVED)
        .first()
    )
    if held is not None:
        if held.expires_at > now:
            return ReviewClaim(held, created=False)
        ReviewAssignment.objects.filter(pk=held.pk).update(status=Status.EXPIRED, finished_at=now)
        ReviewRequest.objects.filter(pk=held.request_id, state=ReviewRequest.State.OPEN).update(
            open_slots=F("open_slots") + 1
        )
    request = _take(reviewer, now, wait=False)
    if request is None and _open_requests(reviewer, now).exists():
        # SKIP LOCKED passed over rows other claims held; the last slots are worth a wait.
        request = _take(reviewer, now, wait=True)
    if request is None:
        return None
    assignment = ReviewAssignment.objects.create(
        request=request,
        reviewer=reviewer,
        author_id=request.author_id,
        created_at=now,
        expires_at=now + timedelta(seconds=request.reservation_seconds),
    )
    return ReviewClaim(assignment, created=True)


def review_claim_next(*, reviewer: User) -> ReviewClaim | None:
    """The reviewer's live reservation, or a new one on the oldest request they may
    review, or None when there is nothing for them.

    A reviewer holds at most one reservation (a partial unique index): when two of their
    calls race, the loser rolls back and hands out the winner's."""
    require_reviewer(reviewer)
    now = timezone.now()
    with transaction.atomic(durable=True):
        _reclaim(now=now, limit=RECLAIM_ON_CLAIM)
    try:
        with transaction.atomic(durable=True):
            return _claim(reviewer, now)
    except IntegrityError:
        held = (
            ReviewAssignment.objects.select_related("request")
            .filter(reviewer=reviewer, status=Status.RESERVED)
            .first()
        )
        if held is None:
            raise
        return ReviewClaim(held, created=False)


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


# --- Submitting and deciding --------------------------------------------------------------


def _refuse(assignment: ReviewAssignment, reviewer: User, now: datetime) -> NoReturn:
    current = ReviewAssignment.objects.filter(pk=assignment.pk, reviewer=reviewer).first()
    if current is None:
        raise NotFound("No such review.")
    if current.status == Status.SUBMITTED:
        raise Conflict("You already reviewed this answer.", field=REVIEW_FIELD)
    raise Conflict("The reservation expired; ask for the next review.", field=REVIEW_FIELD)


def _weight_of(user: User) -> float:
    score = ReputationScore.objects.filter(user=user).values_list("score", flat=True).first()
    return rules.reviewer_weight(score or 0.0)


def _quality_event(assignment: ReviewAssignment, accepted: bool) -> None:
    event_record(
        user=assignment.reviewer,
        source=ReputationEvent.Source.REVIEW_QUALITY,
        positive=assignment.accept == accepted,
        subject=f"reputation.review:{assignment.public_id}",
    )


def _said(review: ReviewAssignment) -> dict[str, Any]:
    return {
        "accept": review.accept,
        "reason_codes": list(review.reason_codes),
        "reason_labels": [rules.REASONS[code] for code in review.reason_codes],
        "comment": review.comment,
    }


def _tally(request: ReviewRequest, now: datetime) -> None:
    """Decide a request (caller holds its lock) once it has its counted reviews."""
    counted = list(
        ReviewAssignment.objects.select_related("reviewer")
        .filter(request=request, status=Status.SUBMITTED, counted=True)
        .order_by("finished_at", "pk")
    )
    if request.state != ReviewRequest.State.OPEN or len(counted) < request.needed:
        return
    outcome = rules.weighted_outcome((bool(r.accept), r.weight) for r in counted)
    if outcome is None and request.needed < rules.MAX_REVIEWS:
        # An exact tie: one more independent review breaks it.
        request.needed += 1
        request.open_slots += 1
        request.save(update_fields=["needed", "open_slots"])
        return
    accepted = True if outcome is None else outcome  # a tie at the cap favours the author
    request.state = ReviewRequest.State.DECIDED
    request.accepted = accepted
    request.accept_weight = sum(r.weight for r in counted if r.accept)
    request.reject_weight = sum(r.weight for r in counted if not r.accept)
    request.decided_at = now
    request.open_slots = 0
    request.save(
        update_fields=[
            "state",
            "accepted",
            "accept_weight",
            "reject_weight",
            "decided_at",
            "open_slots",
        ]
    )
    # Each event locks its person's score row: in id order, so two decisions sharing
    # reviewers never wait for each other in a circle.
    records: list[tuple[int, Callable[[], Any]]] = [
        (
            request.author_id,
            lambda: event_record(
                user=request.author,
                source=ReputationEvent.Source.PEER_REVIEW,
                positive=accepted,
                subject=request.subject,
            ),
        )
    ]
    records += [
        (review.reviewer_id, lambda review=review: _quality_event(review, accepted))  # type: ignore[misc]
        for review in counted
    ]
    for _, record in sorted(records, key=lambda pair: pair[0]):
        record()
    review_decided.send(
        sender=ReviewRequest, request=request, reviews=[_said(review) for review in counted]
    )


def review_submit(
    *,
    assignment: ReviewAssignment,
    reviewer: User,
    accept: Any,
    reason_codes: Any = None,
    comment: Any = "",
) -> ReviewAssignment:
    """Record a verdict on a live reservation of the reviewer's, or refuse and record
    nothing: someone else's review (404), one's own work (403), a second verdict or an
    expired reservation (409)."""
    require_reviewer(reviewer)
    try:
        accept, codes, text = rules.clean_review(accept, reason_codes, comment)
    except rules.ReviewInputError as error:
        raise InvalidInput(error.message, field=error.field) from error
    now = timezone.now()
    with transaction.atomic(durable=True):
        request = (
            ReviewRequest.objects.select_for_update()
            .select_related("author")
            .get(pk=assignment.request_id)
        )
        if request.author_id == reviewer.pk:
            raise Forbidden("You cannot review your own work.", field=REVIEW_FIELD)
        counted = not _ring_partners(reviewer).filter(pk=request.author_id).exists()
        done = ReviewAssignment.objects.filter(
            pk=assignment.pk, reviewer=reviewer, status=Status.RESERVED, expires_at__gt=now
        ).update(
            status=Status.SUBMITTED,
            finished_at=now,
            accept=accept,
            reason_codes=codes,
            comment=text,
            weight=_weight_of(reviewer),
            counted=counted,
        )
        if not done:
            _refuse(assignment, reviewer, now)
        assignment.refresh_from_db()
        assignment.reviewer = reviewer
        if request.state == ReviewRequest.State.DECIDED:
            # A reservation that outlived the decision still says whether it agreed.
            if counted and request.accepted is not None:
                _quality_event(assignment, request.accepted)
        elif not counted:
            # Held back until a moderator clears the ring: someone else takes the slot.
            request.open_slots += 1
            request.save(update_fields=["open_slots"])
        else:
            _tally(request, now)
        if counted:
            enqueue_on_commit("reputation.tasks.check_pair", reviewer.pk, request.author_id)
    return assignment


# --- Reading outcomes ---------------------------------------------------------------------


def reviews_of_author(*, author: User, limit: int = 20) -> list[dict[str, Any]]:
    """The author's latest reviewed work: outcome and what reviewers said, never who."""
    requests = list(
        ReviewRequest.objects.filter(author=author).order_by("-created_at", "-pk")[:limit]
    )
    said: dict[int, list[dict[str, Any]]] = {request.pk: [] for request in requests}
    for review in ReviewAssignment.objects.filter(
        request__in=requests, status=Status.SUBMITTED, counted=True
    ).order_by("finished_at", "pk"):
        said[review.request_id].append(_said(review))
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


# --- Rings --------------------------------------------------------------------------------


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
                        _quality_event(review, request.accepted)
            else:
                # Their slots went to others meanwhile; take back what is still open.
                request.open_slots = max(0, request.open_slots - len(reviews))
                request.save(update_fields=["open_slots"])
                _tally(request, now)
        for member in locked.members.all():
            notify_user(
                user=member,
                event={
                    "type": "ring.cleared",
                    "message": "A moderator looked at your reviews and cleared them.",
                },
            )
    return locked


def ring_penalise(*, ring: ReviewRing, moderator: User, note: str = "") -> ReviewRing:
    """A moderator confirms the collusion: each member gets a penalty event (visible to
    them, with the reason), and their reviews of each other never count."""
    with transaction.atomic(durable=True):
        locked = _resolve(ring, moderator, note, ReviewRing.State.PENALISED)
        for member in locked.members.all():
            event_record(
                user=member,
                source=ReputationEvent.Source.PENALTY,
                positive=False,
                subject=f"reputation.ring:{locked.public_id}",
                weight=5.0,
            )
            notify_user(
                user=member,
                event={
                    "type": "ring.penalised",
                    "message": (
                        "A moderator found that you and others accepted each other's work "
                        "far more than anyone else's; your reputation carries a penalty."
                    ),
                },
            )
    return locked


def rings_open() -> QuerySet[ReviewRing]:
    return ReviewRing.objects.filter(state=ReviewRing.State.FLAGGED).prefetch_related("members")


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
