"""The append statement's arrays, packed by hand in PostgreSQL's binary form, must reach
the server as exactly the values they were built from."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from ledger import statements

pytestmark = pytest.mark.django_db


def _round_trip(array: bytes, cast: str) -> list[object]:
    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    for packed, dumper in statements._DUMPERS:
        cursor.adapters.register_dumper(packed, dumper)
    cursor.execute(f"SELECT %b::{cast}", [array])
    row = cursor.fetchone()
    assert row is not None
    return list(row[0])


def test_packed_arrays_arrive_as_the_values_they_hold(postgres: None) -> None:
    texts = ['{"a":"é😀\\"\\n"}', "", "dataset.export", "x" * 5000]
    assert (
        _round_trip(
            statements._varlena_array(statements._TextArray, [t.encode() for t in texts]), "text[]"
        )
        == texts
    )
    blobs = [bytes(range(32)), b"", b"\x00"]
    assert _round_trip(statements._varlena_array(statements._ByteaArray, blobs), "bytea[]") == blobs
    assert _round_trip(statements._int2_array([0, 1, 62, -1, 32767]), "smallint[]") == [
        0,
        1,
        62,
        -1,
        32767,
    ]
    assert _round_trip(statements._int8_array([0, 2**40, 2**63 - 1, -5]), "bigint[]") == [
        0,
        2**40,
        2**63 - 1,
        -5,
    ]


def test_empty_packed_arrays_are_empty_arrays(postgres: None) -> None:
    assert _round_trip(statements._int8_array([]), "bigint[]") == []
    assert _round_trip(statements._varlena_array(statements._TextArray, []), "text[]") == []
