"""Recording reputation evidence and keeping scores equal to what the events say.

Apps above (kyc, tasks, community) call `event_record`. Each event updates the person's
exact sums and their day's row at once (the incremental path); `scores_recompute` rebuilds
every sum from the events (the daily beat and `manage.py reputation_recompute`) with the
same rules from `reputation.scoring`, so the two agree to the last unit.

A level change is a public decision and goes into the transparency log (kind
`reputation.change`) in the same transaction. Individual events do not, because an entry
per answer would put every answer behind the log's single append lock; instead
`batch_commit` puts the Merkle root of each new run of events in the log every few minutes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import BigIntegerField, Count, F, Max
from django.db.models.functions import Cast, Round
from django.utils import timezone

from accounts.models import User
from ledger import merkle
from ledger.canonical import canonical_json
from ledger.pseudonyms import pseudonym
from ledger.schemas import utc_timestamp
from ledger.services import entry_record
from reputation import scoring, statements
from reputation.conf import rules
from reputation.models import ReputationBatch, ReputationDay, ReputationEvent, ReputationScore

logger = logging.getLogger(__name__)

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PSEUDONYM_NAMESPACE = "pioneer"


def person_pseudonym(user: User) -> str:
    return pseudonym(PSEUDONYM_NAMESPACE, user.public_id)


def today() -> int:
    return scoring.day_number(timezone.now())


def _level_change_record(*, user: User, source: str, previous: int, score: ReputationScore) -> None:
    entry_record(
        kind="reputation.change",
        payload={
            "subject": person_pseudonym(user),
            "source": source,
            "delta": score.level - previous,
            "score": score.score,
            "level": score.level,
            "at": utc_timestamp(timezone.now()),
        },
    )


def _history(user: User, day: int, grace_days: int) -> list[scoring.DayClose]:
    # The grace window holds at most `grace_days` rows, so the newest grace_days + 1 rows
    # before `day` also hold the last close before the window.
    rows = ReputationDay.objects.filter(user=user, day__lt=day).order_by("-day")[: grace_days + 1]
    return [
        scoring.DayClose(row.day, int(row.positive), int(row.total), row.candidate) for row in rows
    ]


def _standing_set(score: ReputationScore, *, day: int, history: Iterable[scoring.DayClose]) -> None:
    current = rules()
    positive, total = int(score.positive_scaled), int(score.total_scaled)
    score.score, score.total = scoring.standing_at(positive, total, day, current)
    factor = 2.0 ** (-day / current.half_life_days) / (scoring.MILLI * scoring.SCALE)
    score.positive = round(min(max(0.0, positive * factor), score.total), scoring.DIGITS)
    score.level = scoring.level_on(day, current=(positive, total), history=history, rules=current)
    score.as_of_day = day


def event_record(
    *,
    user: User,
    source: str,
    positive: bool,
    subject: str,
    weight: float = 1.0,
    reason: str = "",
    at: datetime | None = None,
    voids: ReputationEvent | None = None,
) -> ReputationScore:
    """Record one piece of evidence and update the score. Runs inside the caller's
    transaction when there is one (the decision the evidence comes from), so not durable.

    `at` (default now) may not fall on a day before the person's latest evidence: sums are
    kept per day and past days are closed. `voids` takes back an earlier event entirely.
    """
    if source not in ReputationEvent.Source.values:
        raise ValueError(f"source: unknown reputation source {source!r}")
    milli = scoring.weight_milli(weight)
    if reason and not _CODE.match(reason):
        raise ValueError("reason: must be a snake_case code")
    if not subject or len(subject) > 100:
        raise ValueError("subject: must be 1 to 100 characters")
    if voids is not None and (voids.user_id != user.pk or voids.weight != weight or voids.positive):
        raise ValueError("voids: only a negative event of the same person and weight")
    moment = at or timezone.now()
    day = scoring.day_number(moment)
    event = _EventInput(
        source=source,
        positive=positive,
        weight=weight,
        milli=milli,
        subject=subject,
        reason=reason,
        day=day,
        at=moment,
        voids=voids,
    )
    if at is not None:
        # Refused here, before the transaction: an error inside it would doom the caller's
        # (no savepoint, see below). The locked check inside stays as the backstop.
        latest = ReputationDay.objects.filter(user=user).aggregate(latest=Max("day"))["latest"]
        _refuse_closed_day(event, latest)
    # No savepoint (two round trips fewer): nothing is written before the last check, and
    # a failed write must take the caller's decision down with it anyway.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            score = _record_with_statements(user, event)
        else:
            score = _record_with_orm(user, event)
        if score.level != event.previous_level:
            _level_change_record(
                user=user, source=source, previous=event.previous_level, score=score
            )
    return score


@dataclass
class _EventInput:
    source: str
    positive: bool
    weight: float
    milli: int
    subject: str
    reason: str
    day: int
    at: datetime
    voids: ReputationEvent | None
    previous_level: int = 1


@dataclass
class _Update:
    """What one event changes: the day row's values and the score's sums and standing."""

    gained: int
    lost: int
    candidate: int
    positive_scaled: int
    total_scaled: int


def _apply(
    event: _EventInput, *, day_row: tuple[int, int] | None, sums: tuple[int, int]
) -> _Update:
    current = rules()
    gained, lost = day_row or (0, 0)
    totals = scoring.DayTotals(gained=gained, lost=lost)
    old_positive, old_total = totals.contribution(event.day, current)
    totals.add(
        day=event.day,
        positive=event.positive,
        milli=event.milli,
        voided_day=event.voids.day if event.voids is not None else None,
        rules=current,
    )
    new_positive, new_total = totals.contribution(event.day, current)
    positive = sums[0] + new_positive - old_positive
    total = sums[1] + new_total - old_total
    return _Update(
        gained=totals.gained,
        lost=totals.lost,
        candidate=scoring.candidate_level(positive, total, event.day, current),
        positive_scaled=positive,
        total_scaled=total,
    )


def _refuse_closed_day(event: _EventInput, latest_day: int | None) -> None:
    if latest_day is not None and event.day < latest_day:
        raise ValueError("at: before this person's latest evidence")


def _record_with_statements(user: User, event: _EventInput) -> ReputationScore:
    current = rules()
    limit = current.grace_days + 2
    locked, days = statements.lock_and_read(user_id=user.pk, limit=limit)
    if locked is None:
        ReputationScore.objects.get_or_create(user=user)
        locked, days = statements.lock_and_read(user_id=user.pk, limit=limit)
    assert locked is not None
    score_id, positive_scaled, total_scaled, level, as_of_day = locked
    _refuse_closed_day(event, days[0][0] if days else None)
    today_row = days[0] if days and days[0][0] == event.day else None
    update = _apply(
        event,
        day_row=None if today_row is None else (today_row[1], int(today_row[2])),
        sums=(int(positive_scaled), int(total_scaled)),
    )
    evaluate_on = max(event.day, as_of_day)
    history = [
        scoring.DayClose(day, int(positive), int(total), candidate)
        for day, _, _, positive, total, candidate in days
        if day < evaluate_on
    ]
    score = ReputationScore(
        id=score_id,
        user=user,
        positive_scaled=update.positive_scaled,
        total_scaled=update.total_scaled,
        level=level,
        as_of_day=as_of_day,
    )
    event.previous_level = level
    _standing_set(score, day=evaluate_on, history=history)
    statements.write(
        user=user.pk,
        source=event.source,
        positive=event.positive,
        weight=event.weight,
        subject=event.subject,
        reason=event.reason,
        rule_version=scoring.RULE_VERSION,
        day=event.day,
        voids=event.voids.pk if event.voids is not None else None,
        at=event.at,
        gained=update.gained,
        lost=update.lost,
        row_positive=update.positive_scaled,
        row_total=update.total_scaled,
        candidate=update.candidate,
        positive_scaled=update.positive_scaled,
        total_scaled=update.total_scaled,
        decayed_positive=score.positive,
        decayed_total=score.total,
        score=score.score,
        level=score.level,
        as_of_day=score.as_of_day,
        at_now=timezone.now(),
        score_id=score_id,
    )
    return score


def _record_with_orm(user: User, event: _EventInput) -> ReputationScore:
    current = rules()
    ReputationScore.objects.get_or_create(user=user)
    score = ReputationScore.objects.select_for_update().get(user=user)
    latest = ReputationDay.objects.filter(user=user).order_by("-day").first()
    _refuse_closed_day(event, latest.day if latest is not None else None)
    ReputationEvent.objects.create(
        user=user,
        source=event.source,
        positive=event.positive,
        weight=event.weight,
        subject=event.subject,
        reason=event.reason,
        rule_version=scoring.RULE_VERSION,
        day=event.day,
        voids=event.voids,
        created_at=event.at,
    )
    row = (
        latest
        if latest is not None and latest.day == event.day
        else ReputationDay(user=user, day=event.day)
    )
    update = _apply(
        event,
        day_row=(row.gained, int(row.lost)),
        sums=(int(score.positive_scaled), int(score.total_scaled)),
    )
    row.gained, row.lost, row.candidate = update.gained, update.lost, update.candidate
    row.positive, row.total = update.positive_scaled, update.total_scaled
    row.save()
    score.positive_scaled, score.total_scaled = update.positive_scaled, update.total_scaled
    event.previous_level = score.level
    evaluate_on = max(event.day, score.as_of_day)
    _standing_set(score, day=evaluate_on, history=_history(user, evaluate_on, current.grace_days))
    score.save()
    return score


def _hold_event_writers() -> None:
    """Wait for event writers in flight and hold new ones until this transaction ends
    (PostgreSQL; SQLite runs one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE reputation_reputationevent IN SHARE MODE")


@dataclass
class RecomputeReport:
    people: int = 0
    differed: list[int] = field(default_factory=list)  # user ids whose stored sums were off
    level_changes: int = 0


def day_totals_from_events() -> dict[int, dict[int, scoring.DayTotals]]:
    """Every person's day totals, from the events alone (grouped in SQL)."""
    current = rules()
    per_user: dict[int, dict[int, scoring.DayTotals]] = {}
    milli = Cast(Round(F("weight") * scoring.MILLI), BigIntegerField())
    grouped = (
        ReputationEvent.objects.filter(voids__isnull=True)
        .values("user_id", "day", "positive", milli=milli)
        .annotate(events=Count("id"))
        .order_by()
    )
    for row in grouped.iterator(chunk_size=20_000):
        totals = per_user.setdefault(row["user_id"], {}).setdefault(row["day"], scoring.DayTotals())
        if row["positive"]:
            totals.gained += row["milli"] * row["events"]
        else:
            totals.lost += scoring.scaled(row["milli"], row["day"], current) * row["events"]
    voiding = ReputationEvent.objects.filter(voids__isnull=False).values(
        "user_id", "day", "weight", "voids__day"
    )
    for row in voiding.iterator():
        totals = per_user.setdefault(row["user_id"], {}).setdefault(row["day"], scoring.DayTotals())
        totals.add(
            day=row["day"],
            positive=True,
            milli=scoring.weight_milli(row["weight"]),
            voided_day=row["voids__day"],
            rules=current,
        )
    return per_user


def scores_recompute(*, day: int | None = None, attempts: int = 3) -> RecomputeReport:
    """Rebuild every score and day row from the events; evaluate everyone at `day`
    (default today). Reports people whose stored sums or day rows differed from the
    rebuild, and logs each level that changes (a demotion after the grace period).

    Reads one snapshot (REPEATABLE READ on PostgreSQL) and takes no lock before it writes,
    so event writers never wait for the rebuild; a writer that changed a score after the
    snapshot makes the write fail, and the rebuild starts again."""
    for attempt in range(1, attempts + 1):
        try:
            return _scores_recompute(day=day)
        except (OperationalError, IntegrityError):
            if attempt == attempts:
                raise
            logger.info("reputation recompute met a concurrent event; starting again")
    raise AssertionError("unreachable")


def _scores_recompute(*, day: int | None) -> RecomputeReport:
    current = rules()
    evaluate_on = today() if day is None else day
    report = RecomputeReport()
    level_changes: list[tuple[User, int, ReputationScore]] = []
    # (A test's own transaction around this one has fixed its isolation already.)
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(durable=True):
        # Stored scores and the events must be read at one point in time: an event that
        # committed in between would look like a stored score gone wrong.
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        per_user = day_totals_from_events()
        stored_scores = {
            score.user_id: score for score in ReputationScore.objects.select_related("user")
        }
        stored_days: dict[int, list[tuple[int, int, int, int, int, int]]] = {}
        # Every day row is read once, without the ORM's per-value converters (most of the
        # rebuild's time at a million events went there).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT user_id, day, gained, lost, positive, total, candidate"
                " FROM reputation_reputationday ORDER BY user_id, day"
            )
            for user_id, *values in cursor.fetchall():
                stored_days.setdefault(user_id, []).append(
                    (
                        values[0],
                        values[1],
                        int(values[2]),
                        int(values[3]),
                        int(values[4]),
                        values[5],
                    )
                )
        users = {
            user.pk: user
            for user in User.objects.filter(pk__in=per_user.keys() - stored_scores.keys())
        }
        changed_scores: list[ReputationScore] = []
        new_scores: list[ReputationScore] = []
        stale: list[int] = []
        fresh: list[ReputationDay] = []
        for user_id in sorted(per_user.keys() | stored_scores.keys()):
            days = per_user.get(user_id, {})
            rebuilt = scoring.replay(days, max([evaluate_on, *days]), current)
            rows = [
                (
                    close.day,
                    days[close.day].gained,
                    days[close.day].lost,
                    close.positive,
                    close.total,
                    close.candidate,
                )
                for close in rebuilt.closes
            ]
            score = stored_scores.get(user_id)
            if score is None:
                score = ReputationScore(user=users[user_id])
            if (
                score.pk is None
                or int(score.positive_scaled) != rebuilt.positive
                or int(score.total_scaled) != rebuilt.total
                or stored_days.get(user_id, []) != rows
            ):
                report.differed.append(user_id)
                if user_id in stored_days:
                    stale.append(user_id)
                fresh.extend(
                    ReputationDay(
                        user_id=user_id,
                        day=row[0],
                        gained=row[1],
                        lost=row[2],
                        positive=row[3],
                        total=row[4],
                        candidate=row[5],
                    )
                    for row in rows
                )
            previous_level = score.level
            before = (
                score.score,
                score.level,
                score.as_of_day,
                int(score.positive_scaled),
                int(score.total_scaled),
            )
            score.positive_scaled, score.total_scaled = rebuilt.positive, rebuilt.total
            _standing_set(score, day=max([evaluate_on, *days]), history=rebuilt.closes)
            after = (
                score.score,
                score.level,
                score.as_of_day,
                int(score.positive_scaled),
                int(score.total_scaled),
            )
            if score.pk is None:
                new_scores.append(score)
            elif before != after:
                changed_scores.append(score)
            if score.level != previous_level:
                level_changes.append((score.user, previous_level, score))
        ReputationDay.objects.filter(user_id__in=stale).delete()
        ReputationDay.objects.bulk_create(fresh, batch_size=5000)
        ReputationScore.objects.bulk_create(new_scores, batch_size=2000)
        ReputationScore.objects.bulk_update(
            changed_scores,
            ["positive_scaled", "total_scaled", "positive", "total", "score", "level", "as_of_day"],
            batch_size=2000,
        )
        report.people = len(per_user.keys() | stored_scores.keys())
        # Last, after every score row: the log's lock is taken after the rows, as
        # event_record takes them, so the two never wait for each other in a cycle.
        for user, previous_level, score in level_changes:
            report.level_changes += 1
            _level_change_record(
                user=user, source="recompute", previous=previous_level, score=score
            )
    if report.differed:
        logger.warning("reputation recompute corrected %d people", len(report.differed))
    return report


# ---- the public feed and its batches in the transparency log ----


def public_event(event: ReputationEvent) -> dict[str, Any]:
    """An event as the public sees it: no name, no subject (it can point at content)."""
    return {
        "id": event.id,
        "person": person_pseudonym(event.user),
        "source": event.source,
        "positive": event.positive,
        "weight": event.weight,
        "reason": event.reason,
        "rule_version": event.rule_version,
        "at": utc_timestamp(event.created_at),
        "voids": event.voids_id,
    }


def events_root(events: Iterable[ReputationEvent]) -> str:
    return merkle.root_hash([canonical_json(public_event(event)) for event in events]).hex()


BATCH_LIMIT = 10_000


def batch_commit(*, limit: int = BATCH_LIMIT) -> ReputationBatch | None:
    """Commit the next run of events (after the last batch) to the log; None when there is
    none. Idempotent: a run is committed once, whoever calls."""
    with transaction.atomic(durable=True):
        # No event with a lower id may commit after the batch closed its range (sequences
        # hand out ids before commit).
        _hold_event_writers()
        last = (
            ReputationBatch.objects.order_by("-last_event_id")
            .values_list("last_event_id", flat=True)
            .first()
        ) or 0
        events = list(
            ReputationEvent.objects.filter(id__gt=last)
            .select_related("user")
            .order_by("id")[:limit]
        )
        if not events:
            return None
        root = events_root(events)
        leaf = entry_record(
            kind="reputation.batch",
            payload={
                "first": events[0].id,
                "last": events[-1].id,
                "count": len(events),
                "root": root,
                "at": utc_timestamp(timezone.now()),
            },
        )
        return ReputationBatch.objects.create(
            first_event_id=events[0].id,
            last_event_id=events[-1].id,
            count=len(events),
            root=root,
            leaf_index=leaf.index,
        )
