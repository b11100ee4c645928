"""Blind, assigned peer review: requests, reservations, verdicts and outcomes.

An app that owns a piece of work asks for its review (`review_request_create`) with a
generic subject and a snapshot of what a reviewer needs; a level-2 reviewer is handed one
request at a time (`review_claim_next`), never their own work, never an author they
reviewed `PAIR_LIMIT` times in `PAIR_WINDOW_DAYS`, never one they share a flagged ring
with (see `rings`); the verdict (`review_submit`) counts towards the request's `needed`
reviews; the reputation-weighted majority decides, events are recorded for the author
(peer_review) and each reviewer (review_quality), and `signals.review_decided` tells the
owning app.

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

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.jobs import enqueue_on_commit
from reputation import review_rules as rules
from reputation.models import ReputationEvent, ReputationScore, ReviewAssignment, ReviewRequest
from reputation.selectors.reviews import ring_partners, verdict_of
from reputation.selectors.standing import has_privilege
from reputation.services.events import event_record
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
        .exclude(author__in=ring_partners(reviewer).values("pk"))
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


def review_quality_record(assignment: ReviewAssignment, accepted: bool) -> None:
    """Whether a counted review agreed with the request's outcome, as the reviewer's
    evidence. Runs in the caller's transaction."""
    event_record(
        user=assignment.reviewer,
        source=ReputationEvent.Source.REVIEW_QUALITY,
        positive=assignment.accept == accepted,
        subject=f"reputation.review:{assignment.public_id}",
    )


def request_tally(request: ReviewRequest, now: datetime) -> None:
    """Decide a request once it has its counted reviews. The caller holds the request's
    lock; runs in the caller's transaction."""
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
        (review.reviewer_id, lambda review=review: review_quality_record(review, accepted))  # type: ignore[misc]
        for review in counted
    ]
    for _, record in sorted(records, key=lambda pair: pair[0]):
        record()
    review_decided.send(
        sender=ReviewRequest, request=request, reviews=[verdict_of(review) for review in counted]
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
        counted = not ring_partners(reviewer).filter(pk=request.author_id).exists()
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
                review_quality_record(assignment, request.accepted)
        elif not counted:
            # Held back until a moderator clears the ring: someone else takes the slot.
            request.open_slots += 1
            request.save(update_fields=["open_slots"])
        else:
            request_tally(request, now)
        if counted:
            enqueue_on_commit("reputation.tasks.check_pair", reviewer.pk, request.author_id)
    return assignment
