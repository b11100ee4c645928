"""The moderators' queue: the cases waiting for a reviewer (never those they have a
conflict of interest with), their claims, their own decisions, and the queue's service
figures."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import Col
from django.utils import timezone

from accounts.models import User
from kyc import statements
from kyc.models import Case, CaseEvent, State
from kyc.selectors.conflicts import conflicts_of

QUEUE_STATES = [State.IN_REVIEW, State.ESCALATED, State.APPEALED]


def _waiting_for(
    reviewer: User,
    state: str | None = None,
    country: str | None = None,
    flag: str | None = None,
    older_than_hours: int | None = None,
) -> Q:
    # One condition, applied in one filter(): every filter() and exclude() clones the
    # query, and the queue is built on every request.
    wanted = Q(state__in=QUEUE_STATES) & ~conflicts_of(reviewer)
    if state:
        wanted &= Q(state=state)
    if country:
        wanted &= Q(issuing_state=country.upper())
    if flag:
        wanted &= (
            Q(risk_flags__contains=[flag])
            if _json_contains_supported()
            else Q(risk_flags__icontains=flag)
        )
    if older_than_hours is not None:
        wanted &= Q(submitted_at__lte=timezone.now() - timedelta(hours=older_than_hours))
    return wanted


_QUEUE_ORDER = (F("submitted_at").asc(nulls_last=True), "pk")


def queue(
    *,
    reviewer: User,
    state: str | None = None,
    country: str | None = None,
    flag: str | None = None,
    older_than_hours: int | None = None,
) -> QuerySet[Case]:
    """Cases waiting for `reviewer`, oldest first, with what the queue shows in one query;
    cases they have a conflict with never show."""
    wanted = _waiting_for(reviewer, state, country, flag, older_than_hours)
    return Case.objects.filter(wanted).select_related("claimed_by").order_by(*_QUEUE_ORDER)


# What a queue row shows (the API's `QueueCaseSerializer` fields, the page's columns),
# and what `claimed` is worked out from: nothing else is read from the database.
QUEUE_COLUMNS = (
    "public_id",
    "state",
    "document_type",
    "issuing_state",
    "risk_flags",
    "submitted_at",
    "claimed_by_id",
    "claim_expires_at",
)


def queue_rows(
    *,
    reviewer: User,
    state: str | None = None,
    country: str | None = None,
    flag: str | None = None,
    older_than_hours: int | None = None,
) -> QuerySet[Case, dict[str, Any]]:
    """`queue(...)` as dicts of `QUEUE_COLUMNS` only: the same cases, the same exclusions,
    without loading personal fields or building a model per row."""
    wanted = _waiting_for(reviewer, state, country, flag, older_than_hours)
    return Case.objects.filter(wanted).order_by(*_QUEUE_ORDER).values(*QUEUE_COLUMNS)


def queue_page(
    *,
    reviewer: User,
    limit: int,
    state: str | None = None,
    country: str | None = None,
    flag: str | None = None,
    older_than_hours: int | None = None,
) -> list[dict[str, Any]]:
    """The first `limit` rows of `queue_rows(...)`: the same rows, the same statement.

    Building and compiling that statement (the conflict rules are four subqueries) cost
    more than the database took to run it, and a moderator asks for their queue again and
    again. Its SQL and parameters depend on nothing but the reviewer's id, the filters and
    the limit, so they are compiled once per process for each of those and then sent as
    they are. A wait filter (`older_than_hours`) puts the current time in the parameters,
    so that query is built each time."""
    if older_than_hours is not None:
        return list(
            queue_rows(
                reviewer=reviewer,
                state=state,
                country=country,
                flag=flag,
                older_than_hours=older_than_hours,
            )[:limit]
        )
    sql, params = _queue_page_statement(reviewer.pk, limit, state, country, flag)
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    converted = _queue_column_converters(db)
    rows = []
    for values in fetched:
        row = dict(zip(QUEUE_COLUMNS, values, strict=True))
        for name, column, converters in converted:
            for converter in converters:
                row[name] = converter(row[name], column, db)
        rows.append(row)
    return rows


# Bounded: a few entries per moderator, each a statement of about two kilobytes.
@functools.lru_cache(maxsize=1024)
def _queue_page_statement(
    reviewer_id: int, limit: int, state: str | None, country: str | None, flag: str | None
) -> tuple[str, tuple[Any, ...]]:
    rows = queue_rows(reviewer=User(pk=reviewer_id), state=state, country=country, flag=flag)
    return rows[:limit].query.sql_with_params()


def _queue_column_converters(db: BaseDatabaseWrapper) -> list[tuple[str, Col, list[Any]]]:
    """The columns of `QUEUE_COLUMNS` the queryset converts on this connection, and with
    what (the backend's converters, then the field's)."""
    converted = []
    for name in QUEUE_COLUMNS:
        column = Case._meta.get_field(name).get_col(Case._meta.db_table)  # type: ignore[union-attr]
        converters = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if converters:
            converted.append((name, column, converters))
    return converted


def claim_is_live(row: dict[str, Any], now: datetime) -> bool:
    return bool(row["claimed_by_id"] and row["claim_expires_at"] and row["claim_expires_at"] > now)


def next_case_for(*, reviewer: User) -> UUID | None:
    """The oldest case waiting for `reviewer` that no one else holds a live claim on (one
    query over the queue's first rows), for "next case" after a decision."""
    now = timezone.now()
    for row in queue_rows(reviewer=reviewer)[:50]:
        if row["claimed_by_id"] == reviewer.pk or not claim_is_live(row, now):
            return cast(UUID, row["public_id"])
    return None


def claimed_cases(*, moderator: User) -> list[Case]:
    """Cases `moderator` holds a live claim on, the claim closest to running out first."""
    return list(
        Case.objects.filter(
            claimed_by=moderator,
            claim_expires_at__gt=timezone.now(),
            state__in=QUEUE_STATES,
        ).order_by("claim_expires_at", "pk")
    )


def oldest_waiting_since(*, reviewer: User) -> datetime | None:
    """When the case that has waited longest for `reviewer` was submitted."""
    return queue(reviewer=reviewer).values_list("submitted_at", flat=True).first()


# How many of one's own decisions the history page shows, newest first.
MY_DECISIONS_SHOWN = 100


def decisions_by(*, reviewer: User) -> QuerySet[CaseEvent]:
    """The reviewer's own decisions, newest first, with each case's public id and current
    state in the same query (the case's personal fields are not loaded)."""
    return (
        CaseEvent.objects.filter(actor=reviewer, action="decide")
        .select_related("case")
        .only("created_at", "to_state", "reason", "case__public_id", "case__state")
        .order_by("-created_at", "-pk")
    )


def _json_contains_supported() -> bool:
    return connection.features.supports_json_field_contains


@dataclass(frozen=True)
class SlaFigures:
    waiting: int
    median_hours_to_decision: float | None
    p90_hours_to_decision: float | None
    decided_last_30_days: int


# How long the 30-day decision figures may be reused: ranking a month of decisions costs
# more than the rest of the queue page, and a minute is nothing on a 30-day figure.
DECISION_FIGURES_MAX_AGE = 60
_DECISION_FIGURES_KEY = "kyc:sla:decision-figures"


def sla_figures(*, reuse_decision_figures: bool = False) -> SlaFigures:
    """The queue's service figures. `waiting` is always counted now; with
    `reuse_decision_figures` the 30-day decision figures may be up to
    `DECISION_FIGURES_MAX_AGE` seconds old (the queue page and API), without it they are
    computed now."""
    waiting = Case.objects.filter(state__in=QUEUE_STATES).count()
    figures = cache.get(_DECISION_FIGURES_KEY) if reuse_decision_figures else None
    if figures is None:
        figures = _decision_figures()
        cache.set(_DECISION_FIGURES_KEY, figures, DECISION_FIGURES_MAX_AGE)
    median, p90, total = figures
    return SlaFigures(
        waiting=waiting,
        median_hours_to_decision=median,
        p90_hours_to_decision=p90,
        decided_last_30_days=total,
    )


def _decision_figures() -> tuple[float | None, float | None, int]:
    """(median hours, 90th percentile hours, count) of the waits from submission to
    decision over the last 30 days."""
    since = timezone.now() - timedelta(days=30)
    if connection.vendor == "postgresql":
        total, waits = statements.decision_wait_ranks(since=since)

        def hours_at(rank: int) -> float:
            # What timedelta.total_seconds() / 3600 gave for the same wait.
            return waits[rank] / 10**6 / 3600

    else:
        pairs = Case.objects.filter(decided_at__gte=since, submitted_at__isnull=False).values_list(
            "submitted_at", "decided_at"
        )
        hours = sorted(
            (decided - submitted).total_seconds() / 3600
            for submitted, decided in pairs
            if submitted is not None and decided is not None
        )
        total = len(hours)

        def hours_at(rank: int) -> float:
            return hours[rank]

    if not total:
        return None, None, 0
    # statistics.median: the middle wait, or the mean of the two middle ones.
    middle = (
        hours_at(total // 2) if total % 2 else (hours_at(total // 2 - 1) + hours_at(total // 2)) / 2
    )
    p90 = hours_at(min(total - 1, int(0.9 * total)))
    return round(middle, 2), round(p90, 2), total
