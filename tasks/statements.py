"""The feed's two hot statements, for PostgreSQL: claim an item, and answer one.

`tasks.services.feed` is the one place that decides what a claim or an answer does. On
PostgreSQL its common case (a plain item, nothing held, nothing to explain) runs here, as
one statement of data-modifying CTEs: one round trip, one short transaction, and no ORM
query building, which on this path cost more CPU than the database spent. When a
statement finds nothing to do, `claim` and `answer` return None and the service falls
back to its ORM path, which handles every case on every database and says why. The SQL is
written out once per process from the models' own table and column names, and
`fetch_one` runs it.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model

from core.prepared import server_bound_cursor
from tasks.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    Credit,
    GoldScore,
    Item,
    Project,
    State,
)

if TYPE_CHECKING:
    from accounts.models import User

M = TypeVar("M", bound=Model)


def available() -> bool:
    """Whether the hot paths may run as one statement here."""
    return connection.vendor == "postgresql"


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model: type[Model], prefix: str = "") -> str:
    quote = connection.ops.quote_name
    return ", ".join(prefix + quote(field.column) for field in model._meta.concrete_fields)


@functools.cache
def _attnames(model: type[Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def loaded(model: type[M], related: dict[str, Model], **values: Any) -> M:
    """An instance of `model` from values the database holds, built as a queryset builds
    its rows (positional `__init__`, a fraction of the keyword path's cost), with the
    `related` objects already cached on it."""
    names = _attnames(model)
    instance = model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])
    for name, value in related.items():
        model._meta.get_field(name).set_cached_value(instance, value)  # type: ignore[union-attr]
    return instance


@functools.cache
def _item_converters() -> list[Any]:
    return [getattr(field, "from_db_value", None) for field in Item._meta.concrete_fields]


def item_from_row(values: tuple[Any, ...]) -> Item:
    """An `Item` from its columns in `_columns(Item)` order, as the claim returns them."""
    db = connections[DEFAULT_DB_ALIAS]
    converted = [
        value if convert is None else convert(value, None, db)
        for convert, value in zip(_item_converters(), values, strict=True)
    ]
    return Item.from_db(DEFAULT_DB_ALIAS, _attnames(Item), converted)


def fetch_one(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run one statement and return its first row, or None.

    Outside a transaction the statement is its own transaction (autocommit), which saves
    the BEGIN and COMMIT round trips; inside the caller's it runs in a savepoint, so a
    constraint error leaves that transaction usable. The statement is bound on the server
    and so prepared (`core.prepared`).
    """
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    if db.in_atomic_block:
        with transaction.atomic(using=db.alias):
            return _fetch_one(sql, params)
    return _fetch_one(sql, params)


def _fetch_one(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    with server_bound_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


@functools.cache
def claim_sql() -> str:
    """Params: project, pioneer, published state, public_id, now, expires_at.

    Takes one slot of the first open item nobody else has locked (`FOR UPDATE SKIP
    LOCKED`) and reserves it, unless the pioneer already holds a reservation on the project
    or is paused on it. Returns the assignment id and the item's columns, or no row. A
    concurrent claim by the same pioneer fails on the one-live-reservation index.

    The statement is prepared, so it may run on a generic plan made from the statistics
    of that moment; PostgreSQL plans again when autovacuum refreshes them, but in between
    a table can grow a lot (the benchmark starts from empty ones). `OFFSET 0` keeps the
    (item, pioneer) check a per-candidate probe of the unique index: as a plain NOT
    EXISTS the planner may make it an anti-join that reads all the pioneer's assignments,
    or the table's, on every claim, which at 50,000 items more than halved throughput.
    The project and pioneer checks do not depend on the item, so they run once, first.
    """
    item, assignment, project, score = map(_table, (Item, Assignment, Project, GoldScore))
    return f"""
WITH taken AS (
    UPDATE {item} SET open_slots = open_slots - 1
    WHERE id = (
        SELECT i.id FROM {item} i
        WHERE i.project_id = %(project)s AND NOT i.is_gold AND i.open_slots > 0
          AND NOT EXISTS (SELECT 1 FROM {assignment} a
                          WHERE a.item_id = i.id AND a.pioneer_id = %(pioneer)s OFFSET 0)
          AND EXISTS (SELECT 1 FROM {project} p
                      WHERE p.id = %(project)s AND p.state = %(state)s)
          AND NOT EXISTS (SELECT 1 FROM {assignment} h
                          WHERE h.project_id = %(project)s AND h.pioneer_id = %(pioneer)s
                            AND h.status = 'reserved')
          AND NOT EXISTS (SELECT 1 FROM {score} g
                          WHERE g.project_id = %(project)s AND g.pioneer_id = %(pioneer)s
                            AND g.paused_at IS NOT NULL)
        ORDER BY i.id LIMIT 1
        FOR UPDATE OF i SKIP LOCKED
    )
    RETURNING {_columns(Item)}
), reserved AS (
    INSERT INTO {assignment}
        (public_id, project_id, item_id, pioneer_id, status, created_at, expires_at, warned)
    SELECT %(public_id)s, %(project)s, taken.id, %(pioneer)s, 'reserved', %(now)s,
           %(expires_at)s, false
    FROM taken
    RETURNING id
)
SELECT reserved.id, {_columns(Item, "taken.")} FROM reserved, taken
"""  # noqa: S608 - table and column names from the models, values as parameters


@functools.cache
def answer_sql() -> str:
    """Params: assignment, pioneer, project, item, value, now, points.

    Closes a live reservation of the pioneer's (not paused on the project) as submitted,
    stores the answer with the pioneer's gold accuracy at this moment, and credits the
    points when there are any. Returns the answer's id and its gold accuracy, or no row
    when the reservation could not take an answer.
    """
    assignment, answer, credit, score = map(_table, (Assignment, Answer, Credit, GoldScore))
    return f"""
WITH closed AS (
    UPDATE {assignment} SET status = 'submitted', finished_at = %(now)s
    WHERE id = %(assignment)s AND pioneer_id = %(pioneer)s AND status = 'reserved'
      AND expires_at > %(now)s
      AND NOT EXISTS (SELECT 1 FROM {score} g
                      WHERE g.project_id = %(project)s AND g.pioneer_id = %(pioneer)s
                        AND g.paused_at IS NOT NULL)
    RETURNING id
), answered AS (
    INSERT INTO {answer}
        (assignment_id, project_id, item_id, pioneer_id, value, is_gold, gold_correct,
         gold_accuracy, created_at)
    SELECT closed.id, %(project)s, %(item)s, %(pioneer)s, %(value)s, false, NULL,
           (SELECT g.correct::float8 / g.seen FROM {score} g
            WHERE g.project_id = %(project)s AND g.pioneer_id = %(pioneer)s AND g.seen > 0),
           %(now)s
    FROM closed
    RETURNING id, gold_accuracy
), credited AS (
    INSERT INTO {credit} (pioneer_id, project_id, answer_id, points, reason, created_at)
    SELECT %(pioneer)s, %(project)s, answered.id, %(points)s, 'answer_accepted', %(now)s
    FROM answered WHERE %(points)s > 0
)
SELECT id, gold_accuracy FROM answered
"""  # noqa: S608 - table and column names from the models, values as parameters


def claim(*, project: Project, pioneer: User, now: datetime) -> Assignment | None:
    """The common claim in one statement (see `claim_sql`): the new reservation, or None
    when the statement does not apply and the ORM path must decide."""
    public_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=project.reservation_timeout)
    row = fetch_one(
        claim_sql(),
        {
            "project": project.pk,
            "pioneer": pioneer.pk,
            "state": State.PUBLISHED,
            "public_id": public_id,
            "now": now,
            "expires_at": expires_at,
        },
    )
    if row is None:
        return None
    item = item_from_row(row[1:])
    return loaded(
        Assignment,
        {"project": project, "item": item, "pioneer": pioneer},
        id=row[0],
        public_id=public_id,
        project_id=project.pk,
        item_id=item.pk,
        pioneer_id=pioneer.pk,
        status=AssignmentStatus.RESERVED,
        created_at=now,
        expires_at=expires_at,
        finished_at=None,
        warned=False,
    )


def answer(*, assignment: Assignment, pioneer: User, value: Any, now: datetime) -> Answer | None:
    """A plain item's answer in one statement (see `answer_sql`), or None when the
    reservation could not take it and the caller must say why."""
    project = assignment.project
    row = fetch_one(
        answer_sql(),
        {
            "assignment": assignment.pk,
            "pioneer": pioneer.pk,
            "project": project.pk,
            "item": assignment.item_id,
            "value": Answer._meta.get_field("value").get_db_prep_save(value, connection),
            "now": now,
            "points": project.reward,
        },
    )
    if row is None:
        return None
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.finished_at = now
    return loaded(
        Answer,
        {"assignment": assignment, "project": project, "item": assignment.item, "pioneer": pioneer},
        id=row[0],
        assignment_id=assignment.pk,
        project_id=project.pk,
        item_id=assignment.item_id,
        pioneer_id=pioneer.pk,
        value=value,
        is_gold=False,
        gold_correct=None,
        gold_accuracy=row[1],
        created_at=now,
    )
