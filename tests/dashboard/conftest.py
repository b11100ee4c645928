"""Data for the dashboard pages, made through the owning apps' services where they exist."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from accounts.roles import Role
from kyc.models import Case
from tasks.models import Project
from tasks.services.feed import assignment_answer, item_claim_next
from tasks.services.items import items_upload
from tasks.services.projects import project_create, project_publish
from tests.kyc.conftest import case_fields


@pytest.fixture(autouse=True)
def _jobs_in_process(eager_celery: None) -> None:
    pass


@pytest.fixture
def make_case() -> Callable[..., Case]:
    """A case already in `state`: the dashboard only reads where a case stands, and the
    moves between states are tested in tests/kyc."""

    def make(user: User, state: str, **fields: Any) -> Case:
        values = {**case_fields(), **fields}
        return Case.objects.create(user=user, state=state, **values)

    return make


@pytest.fixture
def requester(user_factory: Any) -> User:
    return user_factory(roles=[Role.REQUESTER])


@pytest.fixture
def make_project(requester: User) -> Callable[..., Project]:
    def make(*, title: str = "Animals", items: int = 3, reward: int = 1, **fields: Any) -> Project:
        owner = fields.pop("owner", requester)
        project = project_create(
            owner=owner,
            title=title,
            kind="single_label",
            labels=["cat", "dog"],
            overlap=1,
            reward=reward,
            gold_rate=0.0,
            **fields,
        )
        body = "".join(json.dumps({"payload": {"n": n}}) + "\n" for n in range(items))
        items_upload(project=project, actor=owner, stream=io.BytesIO(body.encode()), fmt="jsonl")
        return project_publish(project=project, actor=owner)

    return make


@pytest.fixture
def work() -> Callable[[Project, User, int], None]:
    """`pioneer` answers `count` items of `project`, each earning the project's reward."""

    def answer(project: Project, pioneer: User, count: int) -> None:
        for _ in range(count):
            claim = item_claim_next(project=project, pioneer=pioneer)
            assert claim is not None
            assignment_answer(assignment=claim.assignment, pioneer=pioneer, value="cat")

    return answer
