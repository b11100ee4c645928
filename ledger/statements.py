"""The append as one statement, for PostgreSQL.

One statement of data-modifying CTEs advances the log state and inserts the leaves and
the perfect-subtree hashes they complete. The state's UPDATE is conditional: it matches
only while the row still holds the size and frontier the new leaves were hashed against,
and the inserts read from it, so a statement that lost a race writes nothing and says so
(`appended` returns False). The UPDATE's row lock serializes appends until the
transaction ends; a writer blocked on it re-checks the condition against the committed
row (READ COMMITTED), so it never appends on top of a stale frontier.

Outside any transaction the statement is its own transaction (autocommit): one round trip
per append. Parameters are bound on the server so psycopg prepares the statement after a
few runs (see `prepare_threshold` in the settings), and sent in binary (`%(name)b`): a
batch's arrays of leaf data then need no quoting, which in text form cost more than the
hashing.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections

from ledger.models import Leaf, LogState, SubtreeHash


def available() -> bool:
    return connection.vendor == "postgresql"


@functools.cache
def append_sql() -> str:
    quote = connection.ops.quote_name
    state, leaf, subtree = (quote(model._meta.db_table) for model in (LogState, Leaf, SubtreeHash))
    index = quote("index")
    return f"""
        WITH advanced AS (
            UPDATE {state} SET tree_size = %(new_size)b, frontier = %(new_frontier)b
            WHERE id = 1 AND tree_size = %(old_size)b AND frontier = %(old_frontier)b
            RETURNING 1
        ), leaves AS (
            INSERT INTO {leaf} ({index}, kind, data, leaf_hash, created_at)
            SELECT %(old_size)b + row.n - 1, row.kind, row.data, row.leaf_hash, %(created_at)b
            FROM advanced, unnest(
                %(kinds)b::text[], %(datas)b::text[], %(hashes)b::bytea[]
            ) WITH ORDINALITY AS row(kind, data, leaf_hash, n)
            RETURNING 1
        ), subtrees AS (
            INSERT INTO {subtree} (level, {index}, hash)
            SELECT row.level, row.{index}, row.hash
            FROM advanced, unnest(
                %(levels)b::smallint[], %(subtree_indexes)b::bigint[], %(subtree_hashes)b::bytea[]
            ) AS row(level, {index}, hash)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM advanced), (SELECT count(*) FROM leaves)
    """  # noqa: S608 - quoted identifiers only; every value is a bound parameter


def appended(
    *,
    old_size: int,
    old_frontier: bytes,
    new_size: int,
    new_frontier: bytes,
    created_at: datetime,
    kinds: list[str],
    datas: list[str],
    hashes: list[bytes],
    subtrees: list[tuple[int, int, bytes]],
) -> bool:
    """Write the leaves (kind, data, leaf hash of each, the first at index `old_size`) and
    `subtrees` (level, index, hash) and move the state from (old_size, old_frontier) to
    (new_size, new_frontier); False, with nothing written, when the state was not at the
    old values."""
    levels, subtree_indexes, subtree_hashes = [
        list(column) for column in zip(*subtrees, strict=True)
    ] or [[], [], []]
    params: dict[str, Any] = {
        "old_size": old_size,
        "old_frontier": old_frontier,
        "new_size": new_size,
        "new_frontier": new_frontier,
        "created_at": created_at,
        "kinds": kinds,
        "datas": datas,
        "hashes": hashes,
        "levels": levels,
        "subtree_indexes": subtree_indexes,
        "subtree_hashes": subtree_hashes,
    }
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    db.validate_thread_sharing()
    # Django binds on the client; a driver cursor binds on the server, so the statement
    # is prepared. Django's wrapper still logs it and translates driver errors.
    driver_cursor = psycopg.Cursor(db.connection)
    wrap = db.make_debug_cursor if db.queries_logged else db.make_cursor
    with wrap(driver_cursor) as cursor:  # type: ignore[arg-type]
        cursor.execute(append_sql(), params)
        advanced, inserted = cursor.fetchone()
    if advanced and inserted != len(hashes):
        raise RuntimeError(f"the append wrote {inserted} of {len(hashes)} leaves")
    return bool(advanced)
