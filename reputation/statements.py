"""The two statements of `event_record` on PostgreSQL: lock and read, then write.

`reputation.services.event_record` decides what an event does (the rules are Python, in
`reputation.scoring`); on PostgreSQL it reads the person's score row (locked) and their
newest day rows in one round trip, and writes the event, the day row and the score in one
statement of data-modifying CTEs, so recording evidence costs two round trips and no ORM
query building. Other databases take the ORM path in the service.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

# The score row (locked) and up to `limit` newest day rows, one row per day row (or one
# row with NULL day columns when there are none).
LOCK_AND_READ = """
SELECT s.id, s.positive_scaled, s.total_scaled, s.level, s.as_of_day,
       d.day, d.gained, d.lost, d.positive, d.total, d.candidate
FROM reputation_reputationscore s
LEFT JOIN LATERAL (
    SELECT day, gained, lost, positive, total, candidate
    FROM reputation_reputationday
    WHERE user_id = s.user_id
    ORDER BY day DESC
    LIMIT %(limit)s
) d ON TRUE
WHERE s.user_id = %(user)s
ORDER BY d.day DESC
FOR UPDATE OF s
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


def lock_and_read(*, user_id: int, limit: int) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(LOCK_AND_READ, {"user": user_id, "limit": limit})
        return list(cursor.fetchall())


def write(**values: Any) -> int:
    for name in ("positive_scaled", "total_scaled", "lost", "row_positive", "row_total"):
        values[name] = Decimal(values[name])
    with connection.cursor() as cursor:
        cursor.execute(WRITE, values)
        (event_id,) = cursor.fetchone()
    return int(event_id)
