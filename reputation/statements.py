"""The statements of `event_record` on PostgreSQL: lock, read, then write.

`reputation.services.events.event_record` decides what an event does (the rules are
Python, in `reputation.scoring`); on PostgreSQL it locks the person's score row, reads
their newest day rows, and writes the event, the day row and the score in one statement
of data-modifying CTEs: three round trips and no ORM query building. Other databases take
the ORM path in the service.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

# The score row, locked. The day rows are read by a second statement: under READ
# COMMITTED a statement that waited for the lock sees the newer score row but keeps its
# own, older snapshot for every other table, so a join here would miss the day row the
# previous holder of the lock just wrote.
LOCK = """
SELECT id, positive_scaled, total_scaled, level, as_of_day
FROM reputation_reputationscore
WHERE user_id = %(user)s
FOR UPDATE
"""

DAYS = """
SELECT day, gained, lost, positive, total, candidate
FROM reputation_reputationday
WHERE user_id = %(user)s
ORDER BY day DESC
LIMIT %(limit)s
"""

WRITE = """
WITH event AS (
    INSERT INTO reputation_reputationevent
        (user_id, source, positive, weight, subject, reason, rule_version, day, voids_id,
         created_at)
    VALUES (%(user)s, %(source)s, %(positive)s, %(weight)s, %(subject)s, %(reason)s,
            %(rule_version)s, %(day)s, %(voids)s, %(at)s)
    RETURNING id
), day_row AS (
    INSERT INTO reputation_reputationday
        (user_id, day, gained, lost, positive, total, candidate)
    VALUES (%(user)s, %(day)s, %(gained)s, %(lost)s, %(row_positive)s, %(row_total)s,
            %(candidate)s)
    ON CONFLICT (user_id, day) DO UPDATE SET
        gained = EXCLUDED.gained, lost = EXCLUDED.lost, positive = EXCLUDED.positive,
        total = EXCLUDED.total, candidate = EXCLUDED.candidate
), score AS (
    UPDATE reputation_reputationscore SET
        positive_scaled = %(positive_scaled)s, total_scaled = %(total_scaled)s,
        positive = %(decayed_positive)s, total = %(decayed_total)s, score = %(score)s,
        level = %(level)s, as_of_day = %(as_of_day)s, updated_at = %(at_now)s
    WHERE id = %(score_id)s
)
SELECT id FROM event
"""


def lock_and_read(
    *, user_id: int, limit: int
) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
    """(the locked score row or None, its newest `limit` day rows, newest first)."""
    with connection.cursor() as cursor:
        cursor.execute(LOCK, {"user": user_id})
        score = cursor.fetchone()
        if score is None:
            return None, []
        cursor.execute(DAYS, {"user": user_id, "limit": limit})
        return tuple(score), list(cursor.fetchall())


def write(**values: Any) -> int:
    for name in ("positive_scaled", "total_scaled", "lost", "row_positive", "row_total"):
        values[name] = Decimal(values[name])
    with connection.cursor() as cursor:
        cursor.execute(WRITE, values)
        (event_id,) = cursor.fetchone()
    return int(event_id)
