"""Statements the server prepares: a cursor that binds parameters on the server.

Django binds parameters on the client, so PostgreSQL parses and plans every statement it
receives. For the few statements that run on every claim, append or event, a driver
cursor binds on the server instead and psycopg prepares the statement after
`prepare_threshold` runs (the settings set it; Django's default turns preparing off), so
the server stops parsing and planning it: on a write of several CTEs that is most of its
cost. Django's cursor wrapper still logs the query and turns driver errors into
`django.db` ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper


@contextmanager
def server_bound_cursor() -> Iterator[CursorWrapper]:
    """A cursor of the default database (PostgreSQL) that binds on the server."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    db.ensure_connection()
    db.validate_thread_sharing()
    driver_cursor = psycopg.Cursor(db.connection)
    wrap = db.make_debug_cursor if db.queries_logged else db.make_cursor
    with wrap(driver_cursor) as cursor:  # type: ignore[arg-type]
        yield cursor
