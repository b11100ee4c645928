"""Live updates over /ws/feed/: new projects, remaining counts, expiring reservations."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.utils import timezone

from accounts.roles import Role
from tasks import throttles
from tasks.models import Assignment
from tasks.selectors import can_watch_project
from tasks.services import notifications
from tasks.services.feed import item_claim_next
from tasks.services.notifications import remaining_broadcast, reservations_warn
from tasks.services.projects import project_publish
from tests.accounts.helpers import connected


def in_own_loop(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async scenario on a fresh event loop in its own thread: the browser tests'
    session-wide Playwright loop may already be running in the main thread."""
    errors: list[BaseException] = []

    def run() -> None:
        async def body() -> None:
            try:
                await scenario()
            finally:
                # The ORM ran in asgiref's worker thread: close its connection there.
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


@pytest.mark.django_db(transaction=True)
def test_publish_reaches_the_pioneer_and_claims_update_remaining(
    make_project: Any, user_factory: Any
) -> None:
    in_own_loop(lambda: _publish_and_claim(make_project, user_factory))


async def _publish_and_claim(make_project: Any, user_factory: Any) -> None:
    pioneer = await sync_to_async(user_factory)(roles=[Role.PIONEER], verified=True)
    project = await sync_to_async(make_project)(items=2, publish=False)
    socket = await connected(pioneer)
    try:
        await sync_to_async(project_publish)(project=project, actor=project.owner)
        event = await socket.receive_json_from(timeout=5)
        assert event["type"] == "project.published"
        assert event["project"] == str(project.public_id)

        topic = f"project:{project.public_id}"
        await socket.send_json_to({"type": "subscribe", "topic": topic})
        assert await socket.receive_json_from(timeout=5) == {"type": "subscribed", "topic": topic}
        throttles.REMAINING.reset()  # the upload's window
        await sync_to_async(item_claim_next)(project=project, pioneer=pioneer)
        event = await socket.receive_json_from(timeout=5)
        assert event == {
            "type": "project.remaining",
            "project": str(project.public_id),
            "remaining_items": 2,
            "remaining_answers": 5,
        }
    finally:
        await socket.disconnect()


@pytest.mark.django_db
def test_announcement_and_topic_only_for_those_who_may_work(
    make_project: Any, user_factory: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    told: list[Any] = []
    monkeypatch.setattr(notifications, "notify_user", lambda *, user, event: told.append(user))
    pioneer = user_factory(roles=[Role.PIONEER], verified=True)
    unverified = user_factory(roles=[Role.PIONEER], verified=False)
    requester_only = user_factory(roles=[Role.REQUESTER], verified=True)
    project = make_project(items=1, publish=False)
    high = make_project(items=1, publish=False, min_level=5)
    with django_capture_on_commit_callbacks(execute=True):
        project_publish(project=project, actor=project.owner)
        project_publish(project=high, actor=high.owner)
    assert told == [pioneer]  # the level-5 project told nobody
    topic = str(project.public_id)
    assert can_watch_project(pioneer, topic)
    assert can_watch_project(project.owner, topic)
    assert not can_watch_project(unverified, topic)
    assert not can_watch_project(requester_only, topic)
    assert not can_watch_project(pioneer, str(high.public_id))
    assert not can_watch_project(pioneer, "not-a-uuid")


@pytest.mark.django_db
def test_holders_are_warned_once_before_their_reservation_expires(
    make_project: Any, pioneer: Any, monkeypatch: Any
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(notifications, "notify_user", lambda *, user, event: sent.append(event))
    project = make_project(items=2)
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    assert reservations_warn() == 0  # ten minutes left: too early
    Assignment.objects.filter(pk=claim.assignment.pk).update(
        expires_at=timezone.now() + timedelta(seconds=30)
    )
    assert reservations_warn() == 1
    assert reservations_warn() == 0  # once only
    assert sent[-1]["type"] == "assignment.expiring"
    assert sent[-1]["assignment"] == str(claim.assignment.public_id)


@pytest.mark.django_db
def test_remaining_counts_are_debounced(
    make_project: Any, pioneers: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(notifications, "notify_topic", lambda *, topic, event: sent.append(event))
    project = make_project(items=5, overlap=1)
    throttles.REMAINING.reset()  # the upload's window
    people = pioneers(4)
    with django_capture_on_commit_callbacks(execute=True):
        for person in people:
            item_claim_next(project=project, pioneer=person)
    remaining = [event for event in sent if event["type"] == "project.remaining"]
    assert len(remaining) == 1  # four claims within two seconds: one event
    # Read at the window's end, so it holds the fourth claim too.
    assert (remaining[0]["remaining_items"], remaining[0]["remaining_answers"]) == (1, 1)


@pytest.mark.django_db
def test_a_broadcast_of_unchanged_counts_sends_nothing(
    make_project: Any, pioneer: Any, monkeypatch: Any
) -> None:
    sent: list[dict[str, Any]] = []
    project = make_project(items=3, overlap=1)
    monkeypatch.setattr(notifications, "notify_topic", lambda *, topic, event: sent.append(event))
    remaining_broadcast(project=project)
    remaining_broadcast(project=project)
    assert len(sent) == 1
    item_claim_next(project=project, pioneer=pioneer)
    remaining_broadcast(project=project)
    assert [event["remaining_items"] for event in sent] == [3, 2]
