"""Factories and helpers for the workshop tests."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from community.models import Room, Workshop
from community.services import chat, workshops
from reputation.models import ReputationScore

# The clock every test starts from; services take `now=` so time moves without sleeping.
T0 = timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _jobs_in_process(eager_celery: None) -> None:
    """Mail jobs run in the test's process even under CI, so their mails can be read."""


@pytest.fixture
def moderator(user_factory: Any) -> User:
    return user_factory(roles=[Role.MODERATOR])


@pytest.fixture
def trusted_host(user_factory: Any) -> User:
    """A member whose reputation reached level 4, where hosting is unlocked."""
    person = user_factory(roles=[Role.PIONEER], verified=True)
    ReputationScore.objects.create(user=person, positive=250, total=260, score=0.9, level=4)
    return person


@pytest.fixture
def member_factory(user_factory: Any) -> Callable[..., User]:
    def make(**kwargs: Any) -> User:
        kwargs.setdefault("roles", [Role.PIONEER])
        kwargs.setdefault("verified", True)
        return user_factory(**kwargs)

    return make


@pytest.fixture
def member(member_factory: Callable[..., User]) -> User:
    return member_factory()


@pytest.fixture
def members(member_factory: Callable[..., User]) -> Callable[[int], list[User]]:
    return lambda count: [member_factory() for _ in range(count)]


@pytest.fixture
def make_workshop(moderator: User) -> Callable[..., Workshop]:
    """A published online workshop ten days after T0, hosted by a moderator, unless told
    otherwise."""

    def make(
        *,
        host: User | None = None,
        publish: bool = True,
        starts_in: timedelta = timedelta(days=10),
        hours: float = 2,
        now: datetime = T0,
        **fields: Any,
    ) -> Workshop:
        starts_at = now + starts_in
        fields.setdefault("title", "Labelling guidelines, live")
        fields.setdefault("capacity", 10)
        fields.setdefault("online_url", "https://meet.example.com/guidelines")
        fields.setdefault("description", "Bring **questions**.")
        return workshops.workshop_create(
            actor=host or moderator,
            starts_at=fields.pop("starts_at", starts_at),
            ends_at=fields.pop("ends_at", starts_at + timedelta(hours=hours)),
            publish=publish,
            now=now,
            **fields,
        )

    return make


def reload(workshop: Workshop) -> Workshop:
    return Workshop.objects.get(pk=workshop.pk)


# --- Sockets ----------------------------------------------------------------------------


def in_own_loop(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async scenario on a fresh loop in its own thread (the browser tests' loop may
    be running in the main thread), closing the ORM connections it opened."""
    errors: list[BaseException] = []

    def run() -> None:
        async def body() -> None:
            try:
                await scenario()
            finally:
                await sync_to_async(connections.close_all)()

        try:
            asyncio.run(body())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if errors:
        raise errors[0]


def as_json(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


# --- Chat -------------------------------------------------------------------------------


@pytest.fixture
def lounge(db: None) -> Room:
    """Opened by the migration (and again here after a test that emptied the tables)."""
    return chat.standing_rooms_open()["lounge"]


@pytest.fixture
def moderators_room(db: None) -> Room:
    return chat.standing_rooms_open()["moderators"]
