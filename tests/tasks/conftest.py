from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from accounts.roles import Role
from tasks import throttles
from tasks.models import Project
from tasks.services.items import items_upload
from tasks.services.projects import project_create, project_publish

Upload = Callable[..., dict[str, int]]


@pytest.fixture(autouse=True)
def _jobs_in_process(eager_celery: None) -> None:
    """Jobs run in the test's process even under CI (where a Redis broker is configured),
    so their effects can be asserted; nothing is left queued for a worker that never runs."""


@pytest.fixture(autouse=True)
def _fresh_windows() -> None:
    # Per-process throttles must not carry one test's timing into the next.
    throttles.RECLAIM.reset()
    throttles.REMAINING.reset()


@pytest.fixture
def requester(user_factory: Any) -> User:
    return user_factory(roles=[Role.REQUESTER])


@pytest.fixture
def pioneer(user_factory: Any) -> User:
    return user_factory(roles=[Role.PIONEER], verified=True)


@pytest.fixture
def pioneers(user_factory: Any) -> Callable[[int], list[User]]:
    def make(count: int) -> list[User]:
        return [user_factory(roles=[Role.PIONEER], verified=True) for _ in range(count)]

    return make


def jsonl(records: list[Any]) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in records).encode()


@pytest.fixture
def upload(requester: User) -> Upload:
    def run(project: Project, records: list[Any], fmt: str = "jsonl") -> dict[str, int]:
        body = jsonl(records) if fmt == "jsonl" else json.dumps(records).encode()
        return items_upload(project=project, actor=project.owner, stream=io.BytesIO(body), fmt=fmt)

    return run


@pytest.fixture
def make_project(requester: User, upload: Upload) -> Callable[..., Project]:
    """A project of `items` plain items (and `gold` gold items answered "cat"), published
    unless told otherwise. Gold is off unless a rate is given."""

    def make(
        *,
        items: int = 3,
        gold: int = 0,
        publish: bool = True,
        owner: User | None = None,
        **fields: Any,
    ) -> Project:
        fields.setdefault("labels", ["cat", "dog", "bird"])
        fields.setdefault("gold_rate", 0.0)
        kind = fields.pop("kind", "single_label")
        project = project_create(owner=owner or requester, title="Animals", kind=kind, **fields)
        records: list[dict[str, Any]] = [
            {"payload": {"text": f"item {n}"}, "ref": f"r{n}"} for n in range(items)
        ]
        records += [{"payload": {"text": f"gold {n}"}, "gold": "cat"} for n in range(gold)]
        if records:
            upload(project, records)
        if publish:
            project = project_publish(project=project, actor=project.owner)
        return project

    return make
