"""Each service's outermost transaction is durable: a caller cannot fold it into a larger
one, where its side effects (jobs, events, an avatar file) would wait on, or outlive, work
the service knows nothing of. The test's own transaction (pytest-django's `db`, as Django's
TestCase) is allowed; an `atomic()` of the caller's is not."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from tasks.models import Assignment, Project
from tasks.services.exports import export_create
from tasks.services.feed import assignment_skip, item_claim_next, reservations_reclaim
from tasks.services.items import items_upload
from tasks.services.notifications import project_announce, reservations_warn
from tasks.services.projects import (
    project_close,
    project_create,
    project_pause,
    project_publish,
    project_update,
)

pytestmark = pytest.mark.django_db

Call = Callable[[Project, Assignment], Any]

SERVICES: list[Any] = [
    pytest.param(
        lambda project, held: project_create(
            owner=project.owner, title="Another", kind="single_label", labels=["a", "b"]
        ),
        id="project_create",
    ),
    pytest.param(
        lambda project, held: project_update(project=project, actor=project.owner, reward=9),
        id="project_update",
    ),
    pytest.param(
        lambda project, held: project_pause(project=project, actor=project.owner),
        id="project_pause",
    ),
    pytest.param(
        lambda project, held: project_close(project=project, actor=project.owner),
        id="project_close",
    ),
    pytest.param(
        lambda project, held: items_upload(
            project=project,
            actor=project.owner,
            stream=io.BytesIO(b'{"payload": {"text": "more"}}\n'),
            fmt="jsonl",
        ),
        id="items_upload",
    ),
    pytest.param(
        lambda project, held: export_create(project=project, actor=project.owner, fmt="csv"),
        id="export_create",
    ),
    pytest.param(lambda project, held: project_announce(project=project), id="project_announce"),
    pytest.param(lambda project, held: reservations_warn(), id="reservations_warn"),
    pytest.param(lambda project, held: reservations_reclaim(), id="reservations_reclaim"),
    pytest.param(
        lambda project, held: assignment_skip(assignment=held, pioneer=held.pioneer),
        id="assignment_skip",
    ),
]


def claimed(project: Project, pioneer: Any) -> Assignment:
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    return claim.assignment


@pytest.mark.parametrize("call", SERVICES)
def test_a_service_refuses_to_run_inside_a_callers_transaction(
    call: Call, make_project: Any, pioneer: Any
) -> None:
    project = make_project(items=2)
    held = claimed(project, pioneer)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        call(project, held)


@pytest.mark.parametrize("call", SERVICES)
def test_inside_the_tests_own_transaction_it_runs(
    call: Call, make_project: Any, pioneer: Any
) -> None:
    project = make_project(items=2)
    call(project, claimed(project, pioneer))


def test_publishing_is_durable_too(make_project: Any) -> None:
    project = make_project(items=1, publish=False)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        project_publish(project=project, actor=project.owner)
    project_publish(project=project, actor=project.owner)
    project.refresh_from_db()
    assert project.state == "published"
