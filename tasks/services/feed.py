"""The feed: claim the next item, answer it or skip it, and give expired reservations back.

Each call is one short transaction (a claim may first reclaim in one of its own). On
PostgreSQL the common claim and answer run as one statement each (`tasks.statements`);
what is here is the ORM path, which handles every case on every database and says why
when it refuses.

Lock order, which keeps the hot paths free of deadlocks: an assignment row before an
item row, and at most one row waited for while holding others. The claim locks the
pioneer's own reservation, then takes items with SKIP LOCKED; only for the last open
slots does it wait for one item, holding no item of its own. Answers lock only their
assignment; a skip, its assignment and then its item. Reclaiming locks with SKIP LOCKED
only, so it never waits.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.services.notifications import notification_send
from core import strict_json
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from reputation.models import ReputationEvent
from reputation.services.events import event_record
from tasks import conf, kinds, statements
from tasks.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    Credit,
    GoldScore,
    Item,
    Project,
    State,
)
from tasks.selectors import check_eligible, live_assignment
from tasks.services.notifications import remaining_schedule
from tasks.services.projects import audit, project_spec
from tasks.services.reviews import answer_review_maybe
from tasks.throttles import RECLAIM

if TYPE_CHECKING:
    from accounts.models import User

RECLAIM_ON_CLAIM = 20


@dataclass(frozen=True)
class Claim:
    assignment: Assignment
    created: bool


# --- Reclaiming --------------------------------------------------------------------------


def _reclaim(*, now: datetime, project_id: int | None, limit: int) -> int:
    """Return expired reservations to the pool. Both row sets are locked with SKIP LOCKED,
    so this never waits: whatever is busy now is picked up by a later sweep."""
    expired = Assignment.objects.filter(status=AssignmentStatus.RESERVED, expires_at__lte=now)
    if project_id is not None:
        expired = expired.filter(project_id=project_id)
    rows = list(
        expired.select_for_update(skip_locked=True)
        .order_by("expires_at")
        .values_list("pk", "item_id", "item__is_gold")[:limit]
    )
    if not rows:
        return 0
    lockable = set(
        Item.objects.filter(pk__in={item_id for _, item_id, _ in rows})
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    taken = [(pk, item_id, gold) for pk, item_id, gold in rows if item_id in lockable]
    if not taken:
        return 0
    Assignment.objects.filter(pk__in=[pk for pk, _, _ in taken]).update(
        status=AssignmentStatus.EXPIRED, finished_at=now
    )
    for item_id, count in Counter(item_id for _, item_id, gold in taken if not gold).items():
        Item.objects.filter(pk=item_id).update(open_slots=F("open_slots") + count)
    return len(taken)


def reservations_reclaim(*, limit: int | None = None) -> int:
    """The periodic sweep: expired reservations of every project go back to the pool."""
    total = 0
    batch = limit or conf.reclaim_batch()
    while True:
        with transaction.atomic(durable=True):
            done = _reclaim(now=timezone.now(), project_id=None, limit=batch)
        total += done
        if done < batch:
            return total


# --- Claiming ----------------------------------------------------------------------------


def _wants_gold(rate: float) -> bool:
    # The pioneer cannot predict when a gold item comes: a uniform draw per claim.
    return rate > 0 and secrets.randbelow(1_000_000) < rate * 1_000_000


def _never_had(items: QuerySet[Item], pioneer: User) -> QuerySet[Item]:
    """`items` this pioneer was never handed (answered, skipped, expired or held)."""
    had = Assignment.objects.filter(item=OuterRef("pk"), pioneer=pioneer)
    return items.filter(~Exists(had))


def _open_items(project: Project, pioneer: User) -> QuerySet[Item]:
    """Items of a published project that still take answers and this pioneer never had."""
    return _never_had(
        Item.objects.filter(
            project=project, is_gold=False, open_slots__gt=0, project__state=State.PUBLISHED
        ),
        pioneer,
    )


def _take_open_item(project: Project, pioneer: User, *, wait: bool = False) -> Item | None:
    """Lock the first open item no other transaction holds and take one of its slots.
    With SKIP LOCKED, concurrent claimers pass over each other's rows instead of queueing
    (on SQLite the IMMEDIATE transaction serializes writers, and the clause is ignored);
    `wait` queues behind a claim in flight instead, for the last open slots."""
    item = (
        _open_items(project, pioneer)
        .order_by("pk")
        .select_for_update(skip_locked=not wait, of=("self",))
        .first()
    )
    if item is not None:
        Item.objects.filter(pk=item.pk).update(open_slots=F("open_slots") - 1)
        item.open_slots -= 1
    return item


def _expire(assignment: Assignment, now: datetime) -> None:
    """End a reservation whose time ran out and give its slot back (caller holds the
    assignment's row lock)."""
    Assignment.objects.filter(pk=assignment.pk).update(
        status=AssignmentStatus.EXPIRED, finished_at=now
    )
    if not assignment.item.is_gold:
        Item.objects.filter(pk=assignment.item_id).update(open_slots=F("open_slots") + 1)


def _claim(project: Project, pioneer: User, now: datetime, *, gold: bool) -> Claim | None:
    """Every case of a claim, on any database: the held reservation (returned while live,
    expired when its time ran out), the pause, gold, and "nothing left"."""
    if GoldScore.objects.filter(project=project, pioneer=pioneer, paused_at__isnull=False).exists():
        raise Forbidden("You are paused on this project: your gold accuracy is too low.")
    held = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("item")
        .filter(project=project, pioneer=pioneer, status=AssignmentStatus.RESERVED)
        .first()
    )
    if held is not None:
        if held.expires_at > now:
            held.project = project
            return Claim(held, created=False)
        _expire(held, now)
    item: Item | None = None
    if gold:
        gold_items = _never_had(Item.objects.filter(project=project, is_gold=True), pioneer)
        gold_item = gold_items.order_by("?").first()
        if gold_item is not None and _open_items(project, pioneer).exists():
            item = gold_item
    if item is None:
        item = _take_open_item(project, pioneer)
    if item is None:
        state = Project.objects.filter(pk=project.pk).values_list("state", flat=True).first()
        if state != State.PUBLISHED:
            raise Conflict("This project is not taking answers right now.")
        # Before saying "nothing left": the last slots may be held by reservations that
        # just expired, or by claims in flight, whose row locks SKIP LOCKED passed over.
        _reclaim(now=now, project_id=project.pk, limit=RECLAIM_ON_CLAIM)
        if _open_items(project, pioneer).exists():
            item = _take_open_item(project, pioneer, wait=True)
        if item is None:
            return None
    assignment = Assignment.objects.create(
        project=project,
        item=item,
        pioneer=pioneer,
        created_at=now,
        expires_at=now + timedelta(seconds=project.reservation_timeout),
    )
    return Claim(assignment, created=True)


def item_claim_next(*, project: Project, pioneer: User) -> Claim | None:
    """Reserve the next item for `pioneer`, or return their live reservation, or None.

    One short transaction. The open item is taken with `FOR UPDATE SKIP LOCKED`; its
    `open_slots` counts live reservations, so overlap holds. On PostgreSQL the common case
    (no reservation held, no gold drawn) is one statement; anything else,
    and every claim on SQLite, takes `_claim`, which is correct everywhere (on SQLite the
    IMMEDIATE transaction serializes writers: correct, just not concurrent).

    A pioneer holds at most one reservation per project (a partial unique index): when two
    of their calls race, the loser's transaction rolls back and it hands out the winner's
    reservation. The unique (item, pioneer) constraint is the last line against handing an
    item out twice. Expired reservations are reclaimed by the periodic sweep, by each
    process every few seconds per project on a claim, and before saying "nothing left".
    Gold items come at the project's rate, but only while real work remains, and look the
    same as any item.
    """
    check_eligible(user=pioneer, project=project)  # the pause is checked by the claim
    now = timezone.now()
    gold = _wants_gold(project.gold_rate)
    if RECLAIM.due(project.public_id):
        # Its own transaction: it never waits (SKIP LOCKED), and the claim stays one
        # statement.
        with transaction.atomic(durable=True):
            _reclaim(now=now, project_id=project.pk, limit=RECLAIM_ON_CLAIM)
    for attempt in (1, 2):
        try:
            claim = None
            if statements.available() and not gold:
                reserved = statements.claim(project=project, pioneer=pioneer, now=now)
                if reserved is not None:
                    claim = Claim(reserved, created=True)
            if claim is None:
                with transaction.atomic(durable=True):
                    claim = _claim(project, pioneer, now, gold=gold)
            break
        except IntegrityError:
            # A call of the same pioneer's committed first: hand out its reservation. If
            # that one is already answered, the item taken was theirs; look again, once.
            held = live_assignment(user=pioneer, project=project)
            if held is not None:
                return Claim(held, created=False)
            if attempt == 2:
                raise
            now = timezone.now()
    if claim is not None and claim.created:
        remaining_schedule(project=project)
    return claim


# --- Answering and skipping --------------------------------------------------------------


def _refuse(assignment: Assignment, pioneer: User, now: datetime) -> NoReturn:
    """Say why an assignment could not take an answer or a skip."""
    current = Assignment.objects.filter(pk=assignment.pk, pioneer=pioneer).first()
    if current is None:
        # Someone else's assignment does not exist as far as this person can tell.
        raise NotFound("No such assignment.")
    if current.status == AssignmentStatus.SUBMITTED:
        raise Conflict("This item is already answered.")
    if current.status == AssignmentStatus.SKIPPED:
        raise Conflict("This item was skipped.")
    if current.status == AssignmentStatus.EXPIRED or current.expires_at <= now:
        raise Conflict("The reservation expired; ask for the next item.")
    raise Forbidden("You are paused on this project: your gold accuracy is too low.")


def _finish(assignment: Assignment, pioneer: User, status: str, now: datetime) -> None:
    """Move a live reservation of `pioneer` to `status`, or refuse with the reason. The
    conditional UPDATE is the check and the row lock at once: of two racing answers, the
    second finds the row no longer reserved. A paused pioneer may still skip (which gives
    the item back) but not answer."""
    live = Assignment.objects.filter(
        pk=assignment.pk, pioneer=pioneer, status=AssignmentStatus.RESERVED, expires_at__gt=now
    )
    if status == AssignmentStatus.SUBMITTED:
        paused = GoldScore.objects.filter(
            project_id=assignment.project_id, pioneer=pioneer, paused_at__isnull=False
        )
        live = live.filter(~Exists(paused))
    done = live.update(status=status, finished_at=now)
    if not done:
        _refuse(assignment, pioneer, now)
    assignment.status = status
    assignment.finished_at = now


def _score_gold(
    project: Project, pioneer: User, item: Item, value: Any, now: datetime
) -> tuple[GoldScore, bool]:
    """Score a gold answer under the score's row lock; pause the pioneer below the bar."""
    score, _ = GoldScore.objects.select_for_update().get_or_create(project=project, pioneer=pioneer)
    correct = kinds.matches_gold(project_spec(project), value, item.gold_answer)
    score.seen += 1
    score.correct += int(correct)
    fields = ["seen", "correct"]
    if (
        score.seen >= project.gold_min_answers
        and score.correct / score.seen < project.gold_min_accuracy
    ):
        score.paused_at = now
        fields.append("paused_at")
    score.save(update_fields=fields)
    return score, correct


def assignment_answer(*, assignment: Assignment, pioneer: User, value: Any) -> Answer:
    """Accept an answer: validate it against the kind, score gold at once, credit points.

    `assignment` is the caller's copy (from a selector or a claim); what matters about it
    is checked again in the database. On PostgreSQL a plain item's answer is one statement;
    gold answers, and every answer on SQLite, take the ORM path below.
    """
    project = assignment.project
    item = assignment.item
    # The API's parser already refuses these; a work-page form field has not been through it.
    strict_json.check_storable(value, field="value")
    try:
        cleaned = kinds.clean_answer(project_spec(project), value)
    except kinds.AnswerError as error:
        raise InvalidInput(str(error), field="value") from error
    now = timezone.now()
    if statements.available() and not item.is_gold:
        answered = statements.answer(assignment=assignment, pioneer=pioneer, value=cleaned, now=now)
        if answered is None:
            _refuse(assignment, pioneer, now)
        # The answer committed on its own (one statement); the review request is its own
        # short transaction, and most answers of label projects skip it without a query.
        answer_review_maybe(answer=answered)
        return answered
    with transaction.atomic(durable=True):
        _finish(assignment, pioneer, AssignmentStatus.SUBMITTED, now)
        correct: bool | None = None
        if item.is_gold:
            score: GoldScore | None
            score, correct = _score_gold(project, pioneer, item, cleaned, now)
        else:
            score = GoldScore.objects.filter(project=project, pioneer=pioneer).first()
        answer = Answer.objects.create(
            assignment=assignment,
            project=project,
            item=item,
            pioneer=pioneer,
            value=cleaned,
            is_gold=item.is_gold,
            gold_correct=correct,
            gold_accuracy=score.accuracy if score else None,
            created_at=now,
        )
        if correct is not None:
            # Gold is evidence of the pioneer's care, recorded with the answer that gave it.
            event_record(
                user=pioneer,
                source=ReputationEvent.Source.GOLD,
                positive=correct,
                subject=f"tasks.answer:{answer.pk}",
            )
        else:
            answer_review_maybe(answer=answer)
        if correct is not False and project.reward:
            Credit.objects.create(
                pioneer=pioneer, project=project, answer=answer, points=project.reward
            )
        if score is not None and score.paused_at == now:
            audit(project, None, "pioneer.paused", accuracy=round(score.accuracy or 0, 4))
            paused = f"You are paused on “{project.title}”: gold accuracy too low."
            notification_send(
                user=pioneer,
                kind="project.paused",
                title=paused,
                url=reverse("tasks:feed"),
                event={
                    "type": "project.paused",
                    "project": str(project.public_id),
                    "message": paused,
                },
            )
    return answer


def assignment_skip(*, assignment: Assignment, pioneer: User) -> Assignment:
    """Give the item back to the pool; this pioneer will not be offered it again."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        _finish(assignment, pioneer, AssignmentStatus.SKIPPED, now)
        if not assignment.item.is_gold:
            Item.objects.filter(pk=assignment.item_id).update(open_slots=F("open_slots") + 1)
    remaining_schedule(project=assignment.project)
    return assignment
