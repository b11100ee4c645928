"""Earnings read from the tasks app's credits: totals in one shape for the page and the
API, and the CSV rows. A point is explained once, here, for both."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from accounts.models import User
from tasks import selectors as task_selectors

WHAT_A_POINT_IS = (
    "A point is this platform's record of work you did: each answer a project accepts "
    "earns that project's reward in points (a wrong answer to a gold item earns none). "
    "Points are never edited; a correction is a new entry. This site does not pay out "
    "points or exchange them for money."
)

CSV_HEADER = ("credited_at", "project_id", "project", "points", "reason")


def earnings_summary(*, user: User) -> dict[str, Any]:
    by_project = task_selectors.credit_totals_by_project(user=user)
    by_month = task_selectors.credit_totals_by_month(user=user)
    return {
        "total_points": sum(row["points"] for row in by_project),
        "credits": sum(row["credits"] for row in by_project),
        "by_project": [
            {
                "project": row["project__public_id"],
                "title": row["project__title"],
                "points": row["points"],
                "credits": row["credits"],
            }
            for row in by_project
        ],
        "by_month": [
            {
                "month": row["month"].strftime("%Y-%m"),
                "points": row["points"],
                "credits": row["credits"],
            }
            for row in by_month
        ],
        "what_a_point_is": WHAT_A_POINT_IS,
    }


def _cell(value: str) -> str:
    # A cell a spreadsheet would run as a formula is kept as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def credits_csv(*, user: User) -> Iterator[str]:
    """Every credit as CSV lines, newest first, streamed from one query."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    for credit in task_selectors.credits_of(user=user).iterator(chunk_size=2000):
        writer.writerow(
            (
                credit.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                str(credit.project.public_id),
                _cell(credit.project.title),
                credit.points,
                credit.reason,
            )
        )
        yield flush()
