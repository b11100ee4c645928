"""The statements of `event_record` on PostgreSQL: read, then a write that checks the read.

`reputation.services.events.event_record` decides what an event does (the rules are
Python, in `reputation.scoring`); on PostgreSQL it reads the person's score row and newest
day rows in one statement (one snapshot), and writes the event, the day row and the score
in one statement of data-modifying CTEs. The write is conditional: the score row's UPDATE
matches only while the row is the version that was read (its `xmin`, which every update of
the row changes, whoever makes it), and the inserts read from that UPDATE, so a write that
lost a race to another writer of the same person writes nothing and says so. The service
then takes the row lock and reads again, and that write cannot lose.

Two round trips per event in the common case instead of three (no separate lock), and the
statements are bound on the server, so the server prepares them instead of parsing and
planning a write of four tables on every event.

One round trip when this process wrote the person's previous event: the write returns the
version it made, and the process remembers what it wrote for a minute (`remember`,
`recall`). Writing on top of a remembered state is safe for the same reason writing on top
of a read is: the write matches only while that version is the row's. A version is the id
of the (sub)transaction that wrote it, so if that transaction rolled back, or anyone wrote
the row since (another process, the daily rebuild, which rewrites day rows only together
with their score row), nothing is written and the service reads as before.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from core.prepared import server_bound_cursor

# The score row with its newest day rows, newest first (no day rows: one row of NULLs).
READ = """
SELECT s.id, s.positive_scaled, s.total_scaled, s.level, s.as_of_day, s.xmin::text,
       d.day, d.gained, d.lost, d.positive, d.total, d.candidate
FROM reputation_reputationscore s
LEFT JOIN LATERAL (
    SELECT day, gained, lost, positive, total, candidate
    FROM reputation_reputationday
    WHERE user_id = s.user_id
    ORDER BY day DESC
    LIMIT %(limit)s
) d ON true
WHERE s.user_id = %(user)s
ORDER BY d.day DESC
"""

# Taken only after a lost race. READ runs as a statement of its own after it: under READ
# COMMITTED a statement that waited for a lock keeps its own, older snapshot for every
# other table, so a join here would miss the day row the previous holder just wrote.
LOCK = """
SELECT 1 FROM reputation_reputationscore WHERE user_id = %(user)s FOR UPDATE
"""

WRITE = """
WITH score AS (
    UPDATE reputation_reputationscore SET
        positive_scaled = %(positive_scaled)s, total_scaled = %(total_scaled)s,
        positive = %(decayed_positive)s, total = %(decayed_total)s, score = %(score)s,
        level = %(level)s, as_of_day = %(as_of_day)s, updated_at = %(at_now)s
    WHERE id = %(score_id)s AND xmin = %(version)s::xid
    RETURNING xmin::text AS version
), event AS (
    INSERT INTO reputation_reputationevent
        (user_id, source, positive, weight, subject, reason, rule_version, day, voids_id,
         created_at)
    SELECT %(user)s, %(source)s, %(positive)s, %(weight)s, %(subject)s, %(reason)s,
           %(rule_version)s, %(day)s, %(voids)s, %(at)s
    FROM score
    RETURNING id
), day_row AS (
    INSERT INTO reputation_reputationday
        (user_id, day, gained, lost, positive, total, candidate)
    SELECT %(user)s, %(day)s, %(gained)s, %(lost)s, %(positive_scaled)s, %(total_scaled)s,
           %(candidate)s
    FROM score
    ON CONFLICT (user_id, day) DO UPDATE SET
        gained = EXCLUDED.gained, lost = EXCLUDED.lost, positive = EXCLUDED.positive,
        total = EXCLUDED.total, candidate = EXCLUDED.candidate
)
SELECT event.id, score.version FROM event, score
"""


def read(
    *, user_id: int, limit: int, lock: bool = False
) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
    """(the score row with its version, or None; its newest `limit` day rows, newest
    first). With `lock`, the score row is locked first, so a write of what was read
    cannot lose a race."""
    with server_bound_cursor() as cursor:
        if lock:
            cursor.execute(LOCK, {"user": user_id})
        cursor.execute(READ, {"user": user_id, "limit": limit})
        rows = cursor.fetchall()
    if not rows:
        return None, []
    score = tuple(rows[0][:6])
    return score, [tuple(row[6:]) for row in rows if row[6] is not None]


def write(**values: Any) -> str | None:
    """The score row's new version, or None when the row changed since it was read."""
    for name in ("positive_scaled", "total_scaled", "lost"):
        values[name] = Decimal(values[name])
    with server_bound_cursor() as cursor:
        cursor.execute(WRITE, values)
        row = cursor.fetchone()
    return None if row is None else str(row[1])


# (database, user id) -> (when, the score row and day rows as `read` returns them). Bounded
# and short-lived: a version can only match while the row is the one that was written, but
# an entry nobody will use again should not live on.
_REMEMBERED: dict[tuple[str, int], tuple[float, tuple[Any, ...], list[tuple[Any, ...]]]] = {}
_REMEMBERED_LOCK = threading.Lock()
REMEMBER_SECONDS = 60.0
REMEMBER_PEOPLE = 10_000


def remember(
    *, database: str, user_id: int, score: tuple[Any, ...], days: list[tuple[Any, ...]]
) -> None:
    """Keep what was just written for the person (`score` carries the new version)."""
    with _REMEMBERED_LOCK:
        _REMEMBERED.pop((database, user_id), None)
        if len(_REMEMBERED) >= REMEMBER_PEOPLE:
            del _REMEMBERED[next(iter(_REMEMBERED))]
        _REMEMBERED[(database, user_id)] = (time.monotonic(), score, days)


def recall(*, database: str, user_id: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]] | None:
    """What this process last wrote for the person, if it was in the last minute."""
    entry = _REMEMBERED.get((database, user_id))
    if entry is None or time.monotonic() - entry[0] > REMEMBER_SECONDS:
        return None
    return entry[1], entry[2]


def forget() -> None:
    """Drop everything remembered (a test starts from a process that wrote nothing)."""
    with _REMEMBERED_LOCK:
        _REMEMBERED.clear()


@receiver(setting_changed)
def _forget_on_new_rules(*, setting: str, **kwargs: Any) -> None:
    # What was remembered was decided and cut (its day rows) by the old rules.
    if setting.startswith("REPUTATION_"):
        forget()
