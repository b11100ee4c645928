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
hashing. The arrays are packed here in PostgreSQL's binary array form, a few C calls per
array, rather than by psycopg's array dumper, which frames every element in Python and
took a batch as long as its hashing and encoding together.
"""

from __future__ import annotations

import functools
import struct
import weakref
from datetime import datetime
from itertools import chain
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from psycopg.adapt import Dumper
from psycopg.postgres import types as pg_types
from psycopg.pq import Format

from core.prepared import server_bound_cursor
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


class _PackedArray(bytes):
    """A one-dimensional array without nulls, already in PostgreSQL's binary form."""

    element_type = ""


class _Int2Array(_PackedArray):
    element_type = "int2"


class _Int8Array(_PackedArray):
    element_type = "int8"


class _TextArray(_PackedArray):
    element_type = "text"


class _ByteaArray(_PackedArray):
    element_type = "bytea"


def _dumper(array: type[_PackedArray]) -> type[Dumper]:
    class PackedArrayDumper(Dumper):
        format = Format.BINARY
        oid = pg_types[array.element_type].array_oid

        def dump(self, obj: Any) -> bytes:
            return bytes(obj)

    return PackedArrayDumper


# Registered once per driver connection, so each cursor on it inherits them.
_packing_connections: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
_DUMPERS = [(array, _dumper(array)) for array in (_Int2Array, _Int8Array, _TextArray, _ByteaArray)]
_HEADER = struct.Struct(">iiIii")  # dimensions, has nulls, element type, length, lower bound
_EMPTY = struct.Struct(">iiI")  # no dimensions: the empty array
_LENGTH = struct.Struct(">i")
_INT2 = struct.Struct(">ih")
_INT8 = struct.Struct(">iq")


def _header(array: type[_PackedArray], length: int) -> bytes:
    oid = pg_types[array.element_type].oid
    return _HEADER.pack(1, 0, oid, length, 1) if length else _EMPTY.pack(0, 0, oid)


def _int2_array(values: list[int]) -> _Int2Array:
    return _Int2Array(
        _header(_Int2Array, len(values)) + b"".join(map(_INT2.pack, [2] * len(values), values))
    )


def _int8_array(values: list[int]) -> _Int8Array:
    return _Int8Array(
        _header(_Int8Array, len(values)) + b"".join(map(_INT8.pack, [8] * len(values), values))
    )


def _varlena_array(array: type[_PackedArray], values: list[bytes]) -> _PackedArray:
    lengths = map(_LENGTH.pack, map(len, values))
    return array(
        _header(array, len(values))
        + b"".join(chain.from_iterable(zip(lengths, values, strict=True)))
    )


def appended(
    *,
    old_size: int,
    old_frontier: bytes,
    new_size: int,
    new_frontier: bytes,
    created_at: datetime,
    kinds: list[str],
    datas: list[bytes],
    hashes: list[bytes],
    subtrees: list[tuple[int, int, bytes]],
) -> bool:
    """Write the leaves (kind, UTF-8 data, leaf hash of each, the first at index `old_size`) and
    `subtrees` (level, index, hash) and move the state from (old_size, old_frontier) to
    (new_size, new_frontier); False, with nothing written, when the state was not at the
    old values."""
    levels, subtree_indexes, subtree_hashes = [
        list(column) for column in zip(*subtrees, strict=True)
    ] or [[], [], []]
    encoded_kinds = {kind: kind.encode() for kind in set(kinds)}
    params: dict[str, Any] = {
        "old_size": old_size,
        "old_frontier": old_frontier,
        "new_size": new_size,
        "new_frontier": new_frontier,
        "created_at": created_at,
        "kinds": _varlena_array(_TextArray, [encoded_kinds[kind] for kind in kinds]),
        "datas": _varlena_array(_TextArray, datas),
        "hashes": _varlena_array(_ByteaArray, hashes),
        "levels": _int2_array(levels),
        "subtree_indexes": _int8_array(subtree_indexes),
        "subtree_hashes": _varlena_array(_ByteaArray, subtree_hashes),
    }
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    # Before the cursor: a cursor copies its connection's adapters when it is made.
    if db.connection not in _packing_connections:
        for array, dumper in _DUMPERS:
            db.connection.adapters.register_dumper(array, dumper)
        _packing_connections.add(db.connection)
    with server_bound_cursor() as cursor:
        cursor.execute(append_sql(), params)
        advanced, inserted = cursor.fetchone()
    if advanced and inserted != len(hashes):
        raise RuntimeError(f"the append wrote {inserted} of {len(hashes)} leaves")
    return bool(advanced)
