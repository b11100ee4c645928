"""Keeping scores equal to what the events say: a person's standing and level, the
level change that goes into the transparency log, and `scores_recompute`, which rebuilds
every sum from the events (the daily beat and `manage.py reputation_recompute`) with the
same rules `events.event_record` applies one event at a time."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import User
from ledger.schemas import utc_timestamp
from ledger.services import entries_record, entry_record
from reputation import scoring
from reputation.conf import rules
from reputation.models import ReputationDay, ReputationScore
from reputation.selectors.feed import day_totals_from_events, person_pseudonym

logger = logging.getLogger(__name__)

# Memory for the rebuild's grouping of the events (about 50 MB at five million events).
RECOMPUTE_WORK_MEM = "256MB"


def today() -> int:
    return scoring.day_number(timezone.now())


def level_change_record(*, user: User, source: str, previous: int, score: ReputationScore) -> None:
    """A level change is a public decision: its log entry is written inside the caller's
    transaction, after the score rows it follows from (the lock order both paths keep)."""
    kind, payload = _level_change_entry(user=user, source=source, previous=previous, score=score)
    entry_record(kind=kind, payload=payload)


def _level_change_entry(
    *, user: User, source: str, previous: int, score: ReputationScore
) -> tuple[str, dict[str, Any]]:
    return "reputation.change", {
        "subject": person_pseudonym(user),
        "source": source,
        "delta": score.level - previous,
        "score": score.score,
        "level": score.level,
        "at": utc_timestamp(timezone.now()),
    }


def score_standing_set(
    score: ReputationScore, *, day: int, history: Iterable[scoring.DayClose]
) -> None:
    """Set `score`'s decayed standing and level at `day` from its exact sums and the day
    closes before `day`; the caller saves it (one rule for both the event and the rebuild)."""
    current = rules()
    positive, total = int(score.positive_scaled), int(score.total_scaled)
    score.score, score.total = scoring.standing_at(positive, total, day, current)
    factor = 2.0 ** (-day / current.half_life_days) / (scoring.MILLI * scoring.SCALE)
    score.positive = round(min(max(0.0, positive * factor), score.total), scoring.DIGITS)
    score.level = scoring.level_on(day, current=(positive, total), history=history, rules=current)
    score.as_of_day = day


@dataclass
class RecomputeReport:
    people: int = 0
    differed: list[int] = field(default_factory=list)  # user ids whose stored sums were off
    level_changes: int = 0


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
        if connection.vendor == "postgresql":
            # Every person's days are grouped in memory, not in batches spilled to disk;
            # and the query runs once a day, so compiling it (JIT) only costs time.
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{RECOMPUTE_WORK_MEM}'")
                cursor.execute("SET LOCAL jit = off")
        per_user = day_totals_from_events()
        stored_scores = {
            score.user_id: score for score in ReputationScore.objects.select_related("user")
        }
        # Every day row is read once, as the driver returns it: a row compares equal to
        # the rebuilt (user_id, day, gained, lost, positive, total, candidate) as it is
        # (numeric columns come back as Decimal, equal to the same int).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT user_id, day, gained, lost, positive, total, candidate"
                " FROM reputation_reputationday ORDER BY user_id, day"
            )
            stored_days = {
                user_id: list(rows)
                for user_id, rows in groupby(cursor.fetchall(), key=itemgetter(0))
            }
        users = {
            user.pk: user
            for user in User.objects.filter(pk__in=per_user.keys() - stored_scores.keys())
        }
        changed_scores: list[ReputationScore] = []
        new_scores: list[ReputationScore] = []
        stale: list[int] = []
        fresh: list[tuple[int, int, int, int, int, int, int]] = []
        for user_id in sorted(per_user.keys() | stored_scores.keys()):
            days = per_user.get(user_id, {})
            rebuilt = scoring.replay(days, max([evaluate_on, *days]), current)
            rows = [
                (
                    user_id,
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
            differed = (
                score.pk is None
                or int(score.positive_scaled) != rebuilt.positive
                or int(score.total_scaled) != rebuilt.total
                or stored_days.get(user_id, []) != rows
            )
            if differed:
                report.differed.append(user_id)
                if user_id in stored_days:
                    stale.append(user_id)
                fresh.extend(rows)
            previous_level = score.level
            before = (
                score.score,
                score.level,
                score.as_of_day,
                int(score.positive_scaled),
                int(score.total_scaled),
            )
            score.positive_scaled, score.total_scaled = rebuilt.positive, rebuilt.total
            score_standing_set(score, day=max([evaluate_on, *days]), history=rebuilt.closes)
            after = (
                score.score,
                score.level,
                score.as_of_day,
                int(score.positive_scaled),
                int(score.total_scaled),
            )
            if score.pk is None:
                new_scores.append(score)
            elif before != after or differed:
                # Rewritten day rows come with a write of the score row even when its values
                # stand: event_record's write checks that row's version, not the day rows.
                changed_scores.append(score)
            if score.level != previous_level:
                level_changes.append((score.user, previous_level, score))
        ReputationDay.objects.filter(user_id__in=stale).delete()
        _days_insert(fresh)
        ReputationScore.objects.bulk_create(new_scores, batch_size=2000)
        _scores_update(changed_scores)
        report.people = len(per_user.keys() | stored_scores.keys())
        # Last, after every score row: the log's lock is taken after the rows, as
        # event_record takes them, so the two never wait for each other in a cycle. One
        # append for all of them (a first build changes almost everyone's level).
        entries_record(
            entries=[
                _level_change_entry(
                    user=user, source="recompute", previous=previous_level, score=score
                )
                for user, previous_level, score in level_changes
            ]
        )
        report.level_changes = len(level_changes)
    if report.differed:
        logger.warning("reputation recompute corrected %d people", len(report.differed))
    return report


def _days_insert(rows: list[tuple[int, int, int, int, int, int, int]]) -> None:
    """Insert rebuilt day rows, (user_id, day, gained, lost, positive, total, candidate).

    A first build writes a row per person and day; on PostgreSQL they go through COPY,
    which takes the tuples as they are, where bulk_create builds a model and prepares a
    parameter for every value (most of a first build's time)."""
    if connection.vendor != "postgresql":
        ReputationDay.objects.bulk_create(
            (
                ReputationDay(
                    user_id=user_id,
                    day=day,
                    gained=gained,
                    lost=lost,
                    positive=positive,
                    total=total,
                    candidate=candidate,
                )
                for user_id, day, gained, lost, positive, total, candidate in rows
            ),
            batch_size=5000,
        )
        return
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(
            "COPY reputation_reputationday"
            " (user_id, day, gained, lost, positive, total, candidate) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


_SCORE_STANDING = [
    "positive_scaled",
    "total_scaled",
    "positive",
    "total",
    "score",
    "level",
    "as_of_day",
]

# Every score changes on a daily run (its standing decays). bulk_update sends one CASE per
# column with a branch per row, which the server walks for every row: quadratic, seconds
# for a few thousand people. Arrays joined on the id are one pass.
_SCORES_UPDATE = """
UPDATE reputation_reputationscore AS s SET
    positive_scaled = v.positive_scaled, total_scaled = v.total_scaled,
    positive = v.positive, total = v.total, score = v.score, level = v.level,
    as_of_day = v.as_of_day
FROM unnest(
    %s::bigint[], %s::numeric[], %s::numeric[], %s::float8[], %s::float8[], %s::float8[],
    %s::smallint[], %s::integer[]
) AS v(id, positive_scaled, total_scaled, positive, total, score, level, as_of_day)
WHERE s.id = v.id
"""


def _scores_update(scores: list[ReputationScore]) -> None:
    """Write the standing columns of `scores` (their rows exist)."""
    if not scores:
        return
    if connection.vendor != "postgresql":
        ReputationScore.objects.bulk_update(scores, _SCORE_STANDING, batch_size=2000)
        return
    # The sums are ints after a rebuild and Decimals as read; an array takes one type.
    columns = [
        [score.pk for score in scores],
        [int(score.positive_scaled) for score in scores],
        [int(score.total_scaled) for score in scores],
        *([getattr(score, name) for score in scores] for name in _SCORE_STANDING[2:]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SCORES_UPDATE, columns)
