"""Recording reputation evidence: `event_record`, the incremental path.

Apps above (kyc, tasks, community) call `event_record`. Each event updates the person's
exact sums and their day's row at once; `scores.scores_recompute` rebuilds every sum from
the events with the same rules from `reputation.scoring`, so the two agree to the last unit.

A level change is a public decision and goes into the transparency log (kind
`reputation.change`) in the same transaction. Individual events do not, because an entry
per answer would put every answer behind the log's single append lock; instead
`batches.batch_commit` puts the Merkle root of each new run of events in the log every few
minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from reputation import scoring, statements
from reputation.conf import rules
from reputation.models import ReputationDay, ReputationEvent, ReputationScore
from reputation.services.scores import level_change_record, score_standing_set

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SOURCES = frozenset(ReputationEvent.Source.values)
_SCORE_FIELDS = [field.attname for field in ReputationScore._meta.concrete_fields]
_SCORE_USER = ReputationScore._meta.get_field("user")


def _history(user: User, day: int, grace_days: int) -> list[scoring.DayClose]:
    # The grace window holds at most `grace_days` rows, so the newest grace_days + 1 rows
    # before `day` also hold the last close before the window.
    rows = ReputationDay.objects.filter(user=user, day__lt=day).order_by("-day")[: grace_days + 1]
    return [
        scoring.DayClose(row.day, int(row.positive), int(row.total), row.candidate) for row in rows
    ]


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
    if source not in _SOURCES:
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
            level_change_record(
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
    # Write on top of what this process last wrote for the person, else of a read; after a
    # lost race, read again under the row lock (that attempt cannot lose).
    limit = rules().grace_days + 2
    database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    remembered = statements.recall(database=database, user_id=user.pk)
    # A remembered later day could be from a write that rolled back: only the database
    # may refuse the event.
    if remembered is not None and (not remembered[1] or remembered[1][0][0] <= event.day):
        score = _score_after(user, event, *remembered, database=database, limit=limit)
        if score is not None:
            return score
    for locked in (False, True):
        read, days = statements.read(user_id=user.pk, limit=limit, lock=locked)
        if read is None:
            ReputationScore.objects.get_or_create(user=user)
            read, days = statements.read(user_id=user.pk, limit=limit, lock=locked)
        assert read is not None
        score = _score_after(user, event, read, days, database=database, limit=limit)
        if score is not None:
            return score
    raise RuntimeError("event_record lost a race while holding the score row's lock")


def _score_after(
    user: User,
    event: _EventInput,
    read: tuple[Any, ...],
    days: list[tuple[Any, ...]],
    *,
    database: str,
    limit: int,
) -> ReputationScore | None:
    """Write the event on top of what was read; None if the score row changed since."""
    score_id, positive_scaled, total_scaled, level, as_of_day, version = read
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
    # Made as a row read from the database is (positional, every field), which costs a
    # fraction of keyword construction; score_standing_set fills in the standing.
    now = timezone.now()
    values = {
        "id": score_id,
        "user_id": user.pk,
        "positive_scaled": update.positive_scaled,
        "total_scaled": update.total_scaled,
        "positive": 0.0,
        "total": 0.0,
        "score": 0.0,
        "level": level,
        "as_of_day": as_of_day,
        "updated_at": now,
    }
    score = ReputationScore.from_db(
        DEFAULT_DB_ALIAS, _SCORE_FIELDS, [values[name] for name in _SCORE_FIELDS]
    )
    _SCORE_USER.set_cached_value(score, user)
    event.previous_level = level
    score_standing_set(score, day=evaluate_on, history=history)
    written = statements.write(
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
        candidate=update.candidate,
        positive_scaled=update.positive_scaled,
        total_scaled=update.total_scaled,
        decayed_positive=score.positive,
        decayed_total=score.total,
        score=score.score,
        level=score.level,
        as_of_day=score.as_of_day,
        at_now=now,
        score_id=score_id,
        version=version,
    )
    if written is None:
        return None
    day_row = (
        event.day,
        update.gained,
        update.lost,
        update.positive_scaled,
        update.total_scaled,
        update.candidate,
    )
    statements.remember(
        database=database,
        user_id=user.pk,
        score=(
            score_id,
            update.positive_scaled,
            update.total_scaled,
            score.level,
            score.as_of_day,
            written,
        ),
        days=[day_row, *(days[1:] if today_row is not None else days)][:limit],
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
    score_standing_set(
        score, day=evaluate_on, history=_history(user, evaluate_on, current.grace_days)
    )
    score.save()
    return score
