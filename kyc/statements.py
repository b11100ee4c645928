"""Raw SQL of the KYC app's reads, where the ORM cannot say it.

`decision_wait_ranks`: the service figures need the median and 90th percentile of the
waits from submission to decision over the last 30 days. Loading every pair into Python
to sort it read tens of thousands of rows per page view; the database ranks them and
returns only the (at most three) waits the figures are made of, as whole microseconds,
so Python turns them into hours exactly as it did from the datetimes.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from kyc.models import Case

# The ranks are Python's: the median's one or two middle elements, and the 90th
# percentile as `sorted_waits[min(n - 1, int(0.9 * n))]` (float8 arithmetic is IEEE in
# both, so floor(0.9 * n) agrees). Waits are sorted as intervals, which compare as their
# exact length in microseconds for the difference of two times and cost far less per row
# than numbers made of them; only the picked ones are turned into microseconds.
_DECISION_WAIT_RANKS = """
    WITH sorted AS (
        SELECT array_agg(decided_at - submitted_at ORDER BY decided_at - submitted_at) AS waits,
               count(*) AS total
        FROM {table}
        WHERE decided_at >= %s AND submitted_at IS NOT NULL
    )
    SELECT total, position, (EXTRACT(EPOCH FROM waits[position + 1]) * 1000000)::bigint
    FROM sorted, unnest(ARRAY[
        (total - 1) / 2, total / 2, LEAST(total - 1, floor(0.9::float8 * total)::bigint)
    ]) AS position
    WHERE total > 0
"""


def decision_wait_ranks(*, since: datetime) -> tuple[int, dict[int, int]]:
    """(how many cases were decided since `since`, {rank: wait in microseconds}) for the
    ranks the median and 90th percentile need, in ascending order of wait."""
    sql = _DECISION_WAIT_RANKS.format(table=connection.ops.quote_name(Case._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [since])
        rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    return total, {position: wait for _, position, wait in rows}
