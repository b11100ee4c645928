"""Writes to task data: projects, uploads, the next-item claim, answers, credits, exports.

Each function is one transaction: guard, lock, change, record. Socket events and Celery
jobs go out on commit; the export's ledger entry is written inside its transaction.

Lock order, which keeps the hot paths free of deadlocks: an assignment row before an
item row, and at most one row waited for while holding others. The claim locks the
pioneer's own reservation, then takes items with SKIP LOCKED; only for the last open
slots does it wait for one item, holding no item of its own. Answers lock only their
assignment; a skip, its assignment and then its item. Reclaiming locks with SKIP LOCKED
only, so it never waits.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.services import notify_topic, notify_user
from core import strict_json
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.jobs import enqueue_on_commit
from tasks import conf, kinds, statements
from tasks.instructions import render_instructions
from tasks.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    Credit,
    DatasetExport,
    GoldScore,
    Item,
    Kind,
    Project,
    State,
)
from tasks.selectors import check_eligible, live_assignment, may_publish
from tasks.uploads import Record, UploadTooLarge, read_json_list, read_jsonl

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

MAX_OVERLAP = 50
MAX_TIMEOUT = 24 * 3600
MIN_TIMEOUT = 30
MAX_INSTRUCTIONS = 20_000
RECLAIM_ON_CLAIM = 20


class Every:
    """`due(key)` is True at most once per `seconds` per key, in this process.

    For work that is idempotent and may safely run once per process (each process keeps
    its own clock), so the hot path asks no shared store."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[Any, float] = {}

    def due(self, key: Any) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -math.inf) < self.seconds:
            return False
        self._last[key] = now
        return True

    def reset(self) -> None:
        self._last.clear()


# Lazy reclaiming inside a claim, per project and process (the periodic sweep does the
# rest), and the remaining-count events, per project and process.
RECLAIM = Every(5)
REMAINING = Every(2)


# --- Projects ---------------------------------------------------------------------------


def project_spec(project: Project) -> kinds.Spec:
    return kinds.Spec(
        kind=project.kind,
        labels=tuple(project.labels),
        scale_min=project.scale_min,
        scale_max=project.scale_max,
        text_max_length=project.text_max_length,
    )


# Fields a requester may set, with their checks. Fields marked "frozen" change the meaning
# of answers already given, so they are fixed once the project was published.
EDITABLE = (
    "title",
    "instructions",
    "labels",
    "scale_min",
    "scale_max",
    "text_max_length",
    "overlap",
    "reward",
    "reservation_timeout",
    "min_level",
    "gold_rate",
    "gold_min_accuracy",
    "gold_min_answers",
)


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("Give a whole number.", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"Give a number from {low} to {high}.", field=field)
    return value


def _rate(value: Any, field: str, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("Give a number.", field=field)
    if not 0 <= value <= high:
        raise InvalidInput(f"Give a number from 0 to {high}.", field=field)
    return float(value)


def _clean_fields(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "title":
            if not isinstance(value, str) or not value.strip() or len(value.strip()) > 120:
                raise InvalidInput("Give a title of 1 to 120 characters.", field=field)
            cleaned[field] = value.strip()
        elif field == "instructions":
            if not isinstance(value, str) or len(value) > MAX_INSTRUCTIONS:
                raise InvalidInput(f"Use at most {MAX_INSTRUCTIONS} characters.", field=field)
            cleaned[field] = value
        elif field == "labels":
            try:
                cleaned[field] = kinds.clean_labels(kind, value)
            except kinds.AnswerError as error:
                raise InvalidInput(str(error), field=field) from error
        elif field in ("scale_min", "scale_max"):
            cleaned[field] = _int(value, field, -100, 100)
        elif field == "text_max_length":
            cleaned[field] = _int(value, field, 1, 20_000)
        elif field == "overlap":
            cleaned[field] = _int(value, field, 1, MAX_OVERLAP)
        elif field == "reward":
            cleaned[field] = _int(value, field, 0, 10_000)
        elif field == "reservation_timeout":
            cleaned[field] = _int(value, field, MIN_TIMEOUT, MAX_TIMEOUT)
        elif field == "min_level":
            cleaned[field] = _int(value, field, 1, 100)
        elif field == "gold_rate":
            cleaned[field] = _rate(value, field, 0.5)
        elif field == "gold_min_accuracy":
            cleaned[field] = _rate(value, field)
        elif field == "gold_min_answers":
            cleaned[field] = _int(value, field, 1, 1000)
        else:
            raise InvalidInput("Not a field of a project.", field=field)
    return cleaned


def _check_scale(project: Project) -> None:
    if project.kind == Kind.RATING and project.scale_min >= project.scale_max:
        raise InvalidInput("The scale's top must be above its bottom.", field="scale_max")


def _audit(project: Project, actor: User | None, action: str, **detail: Any) -> None:
    AuditEvent.objects.create(project=project, actor=actor, action=action, detail=detail)


@transaction.atomic
def project_create(*, owner: User, title: str, kind: str, **fields: Any) -> Project:
    if not may_publish(user=owner):
        raise Forbidden("Only requesters can create projects.")
    if kind not in kinds.KINDS:
        raise InvalidInput(f"Choose one of: {', '.join(kinds.KINDS)}.", field="kind")
    cleaned = _clean_fields(kind, {"title": title, **fields})
    if kind in (Kind.SINGLE_LABEL, Kind.MULTI_LABEL) and "labels" not in cleaned:
        raise InvalidInput("A label project needs at least two labels.", field="labels")
    project = Project(owner=owner, kind=kind, **cleaned)
    project.instructions_html = render_instructions(project.instructions)
    _check_scale(project)
    project.save()
    _audit(project, owner, "project.created")
    return project


@transaction.atomic
def project_update(*, project: Project, actor: User, **changes: Any) -> Project:
    """Change settings. After publishing, what would change the meaning of answers already
    given is refused with the field named: the kind never changes, labels can only be
    added, the scale and text length are fixed, and overlap can only grow."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.owner_id != actor.pk:
        raise Forbidden("Only the owner can change a project.")
    if locked.state == State.CLOSED:
        raise Conflict("A closed project cannot be changed.")
    if "kind" in changes and changes.pop("kind") != locked.kind:
        raise InvalidInput("The kind cannot change; create a new project.", field="kind")
    cleaned = _clean_fields(locked.kind, changes)
    if locked.published_at is not None:
        if "labels" in cleaned and not set(locked.labels) <= set(cleaned["labels"]):
            raise InvalidInput(
                "Labels already used by answers cannot be removed or renamed.", field="labels"
            )
        for field in ("scale_min", "scale_max", "text_max_length"):
            if field in cleaned and cleaned[field] != getattr(locked, field):
                raise InvalidInput("This cannot change after publishing.", field=field)
        if "overlap" in cleaned and cleaned["overlap"] < locked.overlap:
            raise InvalidInput("Overlap can only grow after publishing.", field="overlap")
    old_overlap = locked.overlap
    for field, value in cleaned.items():
        setattr(locked, field, value)
    if "instructions" in cleaned:
        locked.instructions_html = render_instructions(locked.instructions)
        cleaned["instructions_html"] = locked.instructions_html
    _check_scale(locked)
    if cleaned:
        locked.save(update_fields=list(cleaned))
    if locked.overlap != old_overlap:
        Item.objects.filter(project=locked, is_gold=False).update(
            open_slots=F("open_slots") + (locked.overlap - old_overlap)
        )
    _audit(locked, actor, "project.updated", fields=sorted(cleaned))
    return locked


TRANSITIONS = {
    "publish": ({State.DRAFT, State.PAUSED}, State.PUBLISHED),
    "pause": ({State.PUBLISHED}, State.PAUSED),
    "close": ({State.DRAFT, State.PUBLISHED, State.PAUSED}, State.CLOSED),
}


@transaction.atomic
def project_transition(*, project: Project, actor: User, action: str) -> Project:
    """publish (draft or paused -> published), pause, close; anything else is a 409."""
    if action not in TRANSITIONS:
        raise InvalidInput("Unknown action.", field="action")
    sources, target = TRANSITIONS[action]
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.owner_id != actor.pk:
        raise Forbidden("Only the owner can change a project.")
    if locked.state not in sources:
        raise Conflict(f"A {locked.state} project cannot be {target}.")
    if (
        target == State.PUBLISHED
        and not Item.objects.filter(project=locked, is_gold=False).exists()
    ):
        raise Conflict("Upload at least one item before publishing.")
    first_publish = target == State.PUBLISHED and locked.published_at is None
    locked.state = target
    fields = ["state"]
    if first_publish:
        locked.published_at = timezone.now()
        fields.append("published_at")
    locked.save(update_fields=fields)
    if target == State.PUBLISHED:
        # Marks a publication the announcement sweep watches over (older ones lack it).
        _audit(locked, actor, PUBLISHED, announce=True)
        enqueue_on_commit("tasks.tasks.announce_project", locked.pk)
    else:
        _audit(locked, actor, f"project.{target}")
    notify_topic(
        topic=f"project:{locked.public_id}",
        event={"type": "project.state", "project": str(locked.public_id), "state": target},
    )
    return locked


# --- Items -------------------------------------------------------------------------------


class UploadRejected(InvalidInput):
    """Carries every line error (up to the limit); nothing of the upload was kept."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if errors else "The upload was rejected.", field="items")
        self.errors = errors


def _item_from_record(project: Project, spec: kinds.Spec, value: Any) -> Item:
    if not isinstance(value, dict):
        raise kinds.AnswerError('each item must be an object with a "payload"')
    unknown = set(value) - {"payload", "gold", "ref"}
    if unknown:
        raise kinds.AnswerError(f"unknown field {sorted(unknown)[0]!r}")
    if "payload" not in value:
        raise kinds.AnswerError('"payload" is required')
    payload = kinds.clean_payload(project.kind, value["payload"])
    ref = value.get("ref", "")
    if not isinstance(ref, str) or len(ref) > 200:
        raise kinds.AnswerError('"ref" must be text of at most 200 characters')
    gold = None
    if value.get("gold") is not None:
        try:
            gold = kinds.clean_answer(spec, value["gold"])
        except kinds.AnswerError as error:
            raise kinds.AnswerError(f"gold: {error}") from error
    return Item(
        project=project,
        ref=ref,
        payload=payload,
        is_gold=gold is not None,
        gold_answer=gold,
        open_slots=0 if gold is not None else project.overlap,
    )


def items_upload(*, project: Project, actor: User, stream: IO[bytes], fmt: str) -> dict[str, int]:
    """Stream items in, all or nothing: rows go in batches inside one transaction and every
    bad line is collected (up to a limit); any error rolls the whole upload back."""
    if fmt not in ("json", "jsonl"):
        raise InvalidInput("Send a JSON list or JSON Lines.", field="format")
    reader = read_jsonl if fmt == "jsonl" else read_json_list
    batch_size = conf.upload_batch()
    max_errors = conf.upload_max_errors()
    errors: list[str] = []
    counts = {"items": 0, "gold": 0}
    try:
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            if locked.owner_id != actor.pk:
                raise Forbidden("Only the owner can upload items.")
            if locked.state == State.CLOSED:
                raise Conflict("A closed project takes no more items.")
            spec = project_spec(locked)
            batch: list[Item] = []
            record: Record
            for record in reader(
                stream, max_item_bytes=conf.item_max_bytes(), max_bytes=conf.upload_max_bytes()
            ):
                if record.error is None:
                    try:
                        item = _item_from_record(locked, spec, record.value)
                    except kinds.AnswerError as error:
                        errors.append(f"line {record.line}: {error}")
                    else:
                        counts["gold" if item.is_gold else "items"] += 1
                        if not errors:
                            batch.append(item)
                else:
                    errors.append(f"line {record.line}: {record.error}")
                if len(errors) >= max_errors or record.fatal:
                    break
                if len(batch) >= batch_size:
                    Item.objects.bulk_create(batch)
                    batch = []
            if not errors and counts["items"] + counts["gold"] == 0:
                errors.append("line 1: the upload holds no items")
            if errors:
                raise UploadRejected(errors)
            Item.objects.bulk_create(batch)
            _audit(locked, actor, "items.uploaded", **counts)
    except UploadTooLarge as error:
        raise InvalidInput(str(error), field="items") from error
    _schedule_remaining(project)
    logger.info("items uploaded project=%s items=%s gold=%s", project.public_id, *counts.values())
    return counts


# --- The feed: claim, answer, skip -------------------------------------------------------


def _reclaim(*, now: Any, project_id: int | None, limit: int) -> int:
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


def _wants_gold(rate: float) -> bool:
    # The pioneer cannot predict when a gold item comes: a uniform draw per claim.
    return rate > 0 and secrets.randbelow(1_000_000) < rate * 1_000_000


@dataclass(frozen=True)
class Claim:
    assignment: Assignment
    created: bool


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


def _use_statements() -> bool:
    """Whether the hot paths may run as one PostgreSQL statement (`tasks.statements`)."""
    return connection.vendor == "postgresql"


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


def _expire(assignment: Assignment, now: Any) -> None:
    """End a reservation whose time ran out and give its slot back (caller holds the
    assignment's row lock)."""
    Assignment.objects.filter(pk=assignment.pk).update(
        status=AssignmentStatus.EXPIRED, finished_at=now
    )
    if not assignment.item.is_gold:
        Item.objects.filter(pk=assignment.item_id).update(open_slots=F("open_slots") + 1)


def _claim_by_statement(project: Project, pioneer: User, now: Any) -> Claim | None:
    """The common case in one statement; None when it does not apply (see `_claim`)."""
    public_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=project.reservation_timeout)
    row = statements.fetch_one(
        statements.claim_sql(),
        {
            "project": project.pk,
            "pioneer": pioneer.pk,
            "state": State.PUBLISHED,
            "public_id": public_id,
            "now": now,
            "expires_at": expires_at,
        },
    )
    if row is None:
        return None
    item = statements.item_from_row(row[1:])
    assignment = statements.loaded(
        Assignment,
        {"project": project, "item": item, "pioneer": pioneer},
        id=row[0],
        public_id=public_id,
        project_id=project.pk,
        item_id=item.pk,
        pioneer_id=pioneer.pk,
        status=AssignmentStatus.RESERVED,
        created_at=now,
        expires_at=expires_at,
        finished_at=None,
        warned=False,
    )
    return Claim(assignment, created=True)


def _claim(project: Project, pioneer: User, now: Any, *, gold: bool) -> Claim | None:
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
        with transaction.atomic():
            _reclaim(now=now, project_id=project.pk, limit=RECLAIM_ON_CLAIM)
    for attempt in (1, 2):
        try:
            claim = None
            if _use_statements() and not gold:
                claim = _claim_by_statement(project, pioneer, now)
            if claim is None:
                with transaction.atomic():
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
        _schedule_remaining(project)
    return claim


def _refuse(assignment: Assignment, pioneer: User, now: Any) -> NoReturn:
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


def _finish(assignment: Assignment, pioneer: User, status: str, now: Any) -> None:
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
    project: Project, pioneer: User, item: Item, value: Any, now: Any
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


def _answer_by_statement(assignment: Assignment, pioneer: User, value: Any, now: Any) -> Answer:
    """A plain item's answer in one statement (see `tasks.statements.answer_sql`)."""
    project = assignment.project
    row = statements.fetch_one(
        statements.answer_sql(),
        {
            "assignment": assignment.pk,
            "pioneer": pioneer.pk,
            "project": project.pk,
            "item": assignment.item_id,
            "value": Answer._meta.get_field("value").get_db_prep_save(value, connection),
            "now": now,
            "points": project.reward,
        },
    )
    if row is None:
        _refuse(assignment, pioneer, now)
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.finished_at = now
    return statements.loaded(
        Answer,
        {"assignment": assignment, "project": project, "item": assignment.item, "pioneer": pioneer},
        id=row[0],
        assignment_id=assignment.pk,
        project_id=project.pk,
        item_id=assignment.item_id,
        pioneer_id=pioneer.pk,
        value=value,
        is_gold=False,
        gold_correct=None,
        gold_accuracy=row[1],
        created_at=now,
    )


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
    if _use_statements() and not item.is_gold:
        return _answer_by_statement(assignment, pioneer, cleaned, now)
    with transaction.atomic():
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
        if correct is not False and project.reward:
            Credit.objects.create(
                pioneer=pioneer, project=project, answer=answer, points=project.reward
            )
        if score is not None and score.paused_at == now:
            _audit(project, None, "pioneer.paused", accuracy=round(score.accuracy or 0, 4))
            notify_user(
                user=pioneer,
                event={
                    "type": "project.paused",
                    "project": str(project.public_id),
                    "message": f"You are paused on “{project.title}”: gold accuracy too low.",
                },
            )
    return answer


def assignment_skip(*, assignment: Assignment, pioneer: User) -> Assignment:
    """Give the item back to the pool; this pioneer will not be offered it again."""
    now = timezone.now()
    with transaction.atomic():
        _finish(assignment, pioneer, AssignmentStatus.SKIPPED, now)
        if not assignment.item.is_gold:
            Item.objects.filter(pk=assignment.item_id).update(open_slots=F("open_slots") + 1)
    _schedule_remaining(assignment.project)
    return assignment


def reservations_reclaim(*, limit: int | None = None) -> int:
    """The periodic sweep: expired reservations of every project go back to the pool."""
    total = 0
    batch = limit or conf.reclaim_batch()
    while True:
        with transaction.atomic():
            done = _reclaim(now=timezone.now(), project_id=None, limit=batch)
        total += done
        if done < batch:
            return total


def reservations_warn(*, now: Any = None) -> int:
    """Tell holders whose reservation ends within the warning window; once each."""
    now = now or timezone.now()
    soon = now + timedelta(seconds=conf.warn_before_expiry())
    warned = 0
    with transaction.atomic():
        rows = list(
            Assignment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("pioneer", "project")
            .filter(
                status=AssignmentStatus.RESERVED,
                warned=False,
                expires_at__gt=now,
                expires_at__lte=soon,
            )[: conf.reclaim_batch()]
        )
        for assignment in rows:
            notify_user(
                user=assignment.pioneer,
                event={
                    "type": "assignment.expiring",
                    "assignment": str(assignment.public_id),
                    "project": str(assignment.project.public_id),
                    "expires_at": assignment.expires_at.isoformat(),
                    "message": f"Your item on “{assignment.project.title}” is about to expire.",
                },
            )
            warned += 1
        Assignment.objects.filter(pk__in=[row.pk for row in rows]).update(warned=True)
    return warned


def _schedule_remaining(project: Project) -> None:
    """After a change to a project's open slots: at most once per window per process,
    schedule a broadcast for the window's end. It reads the counts then, so every later
    change in the window is in it, and the hot path asks no shared store. With P
    processes a busy project sends at most P events per window, and the broadcast skips
    counts it already sent."""
    if not REMAINING.due(project.public_id):
        return
    enqueue_on_commit("tasks.tasks.broadcast_remaining", project.pk, countdown=REMAINING.seconds)


def remaining_broadcast(*, project_id: int) -> None:
    from tasks.selectors import with_remaining

    project = with_remaining(Project.objects.filter(pk=project_id)).first()
    if project is None:
        return
    counts = [project.remaining_items, project.remaining_answers]  # type: ignore[attr-defined]
    sent_key = f"tasks:remaining-sent:{project.public_id}"
    if cache.get(sent_key) == counts:
        return
    cache.set(sent_key, counts, timeout=3600)
    notify_topic(
        topic=f"project:{project.public_id}",
        event={
            "type": "project.remaining",
            "project": str(project.public_id),
            "remaining_items": counts[0],
            "remaining_answers": counts[1],
        },
    )


PUBLISHED = "project.published"
ANNOUNCED = "project.announced"


def _publication_events(project: Any) -> QuerySet[AuditEvent]:
    """A project's publications and announcements, latest first (both are written under
    the project's row lock, so their ids are in the order they happened)."""
    return AuditEvent.objects.filter(project=project, action__in=[PUBLISHED, ANNOUNCED]).order_by(
        "-pk"
    )


def project_announce(*, project_id: int) -> int:
    """Tell every pioneer who may work a newly published project (a Celery job fans out).

    Once per publication, however often the job is delivered (again by the broker after a
    lost worker, or by the sweep): the announcement is recorded under the project's row
    lock, and the messages leave when that commits."""
    from accounts.models import User
    from tasks.selectors import may_work_tasks, user_level

    with transaction.atomic():
        project = (
            Project.objects.select_for_update().filter(pk=project_id, state=State.PUBLISHED).first()
        )
        if project is None:
            return 0
        if _publication_events(project).values_list("action", flat=True).first() != PUBLISHED:
            return 0
        _audit(project, None, ANNOUNCED)
        told = 0
        people = (
            User.objects.filter(verified_at__isnull=False, is_active=True)
            .filter(groups__permissions__codename="work_tasks")
            .distinct()
        )
        for person in people.iterator(chunk_size=500):
            if not may_work_tasks(user=person) or project.min_level > user_level(user=person):
                continue
            notify_user(
                user=person,
                event={
                    "type": "project.published",
                    "project": str(project.public_id),
                    "title": project.title,
                    "reward": project.reward,
                    "message": f"New project: {project.title}",
                },
            )
            told += 1
    return told


def projects_announce_stuck(*, older_than: timedelta | None = None, limit: int = 100) -> int:
    """Send the announcement job again for publications still unannounced past the
    deadline (periodic sweep): the broker was down at publish time, or a worker died
    holding the job. A second delivery is harmless (`project_announce` runs once per
    publication), so this keeps no record of its own."""
    if older_than is None:
        older_than = timedelta(seconds=settings.JOBS_DEADLINE_SECONDS)
    cutoff = timezone.now() - older_than
    pending = AuditEvent.objects.filter(
        pk=OuterRef("latest_event"), action=PUBLISHED, detail__announce=True, created_at__lt=cutoff
    )
    stuck = list(
        Project.objects.filter(state=State.PUBLISHED)
        .annotate(latest_event=Subquery(_publication_events(OuterRef("pk")).values("pk")[:1]))
        .filter(Exists(pending))
        .values_list("pk", flat=True)[:limit]
    )
    for project_id in stuck:
        enqueue_on_commit("tasks.tasks.announce_project", project_id)
    return len(stuck)


# --- Export ------------------------------------------------------------------------------


@dataclass
class ExportFile:
    record: DatasetExport
    file: IO[bytes]


def export_create(
    *, project: Project, actor: User, fmt: str, method: str | None = None
) -> ExportFile:
    """Build the export into an anonymous temporary file, hash it, record the hash in the
    ledger, then hand back the file to stream.

    The hash must be in the log before the first byte leaves, so the bytes are produced
    completely first: into a temporary file (unlinked at once, so nothing is left behind on
    any failure), hashing as they are written, with memory bounded by the aggregation, not
    by the export's size. The same function runs in a Celery worker for very large projects.
    """
    from ledger.schemas import utc_timestamp
    from ledger.services import record
    from tasks import results

    if fmt not in ("jsonl", "csv"):
        raise InvalidInput("Choose jsonl or csv.", field="format")
    if project.owner_id != actor.pk:
        raise Forbidden("Only the owner can export a project.")
    exported_at = timezone.now().replace(microsecond=0)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    try:
        digest = hashlib.sha256()
        size = 0
        stats = {"items": 0, "answers": 0}
        for chunk in results.export_chunks(project=project, fmt=fmt, stats=stats, method=method):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        sha256 = digest.hexdigest()
        with transaction.atomic():
            entry = record(
                "dataset.export",
                {
                    "project": str(project.public_id),
                    "format": fmt,
                    "sha256": sha256,
                    "items": stats["items"],
                    "answers": stats["answers"],
                    "exported_at": utc_timestamp(exported_at),
                },
            )
            export = DatasetExport.objects.create(
                project=project,
                requested_by=actor,
                format=fmt,
                sha256=sha256,
                size=size,
                items=stats["items"],
                answers=stats["answers"],
                exported_at=exported_at,
                ledger_index=entry.index,
            )
            _audit(project, actor, "dataset.exported", export=str(export.public_id), sha256=sha256)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return ExportFile(export, out)
