"""The feed's one-statement PostgreSQL path, beyond what the shared claim tests check."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tasks.services.feed import assignment_answer, item_claim_next

pytestmark = pytest.mark.django_db


def test_the_hot_statements_are_prepared_on_the_server(
    postgres: None, make_project: Any, pioneer: Any
) -> None:
    """Django turns prepared statements off; the settings turn them back on for the
    feed's server-bound statements, which the server would otherwise parse and plan on
    every call."""
    project = make_project(items=8, reward=1)
    for _ in range(8):
        claim = item_claim_next(project=project, pioneer=pioneer)
        assert claim is not None
        assignment_answer(assignment=claim.assignment, pioneer=pioneer, value="cat")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("open_slots = open_slots - 1" in text for text in prepared)
    assert any("'answer_accepted'" in text for text in prepared)
