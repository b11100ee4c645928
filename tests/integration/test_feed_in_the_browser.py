"""The browser's one connection to `/ws/feed/`, in Chromium against daphne (the browser
journeys' live server speaks no WebSocket): a task page opens one socket, subscribes its
projects' topics on it once each, and the page's scripts hear events through it, under
the Content-Security-Policy."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import expect

from accounts.roles import Role
from tasks.models import Project
from tasks.services.feed import item_claim_next
from tasks.services.items import items_upload
from tasks.services.notifications import remaining_broadcast
from tasks.services.projects import project_create, project_publish
from tests.e2e.conftest import browser, sign_in  # noqa: F401 - `browser` is a fixture
from tests.integration.helpers import Server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


@pytest.fixture
def pioneer(settings: Any, user_factory: Any) -> Any:
    # The server checks the password with its own hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return user_factory(roles=[Role.PIONEER], verified=True)


def published(owner: Any, title: str, items: int) -> Project:
    project = project_create(
        owner=owner, title=title, kind="single_label", labels=["a", "b"], overlap=1
    )
    body = "".join(json.dumps({"payload": {"n": n}}) + "\n" for n in range(items)).encode()
    items_upload(project=project, actor=owner, stream=io.BytesIO(body), fmt="jsonl")
    return project_publish(project=project, actor=owner)


def off_the_browser_loop(work: Callable[[], Any]) -> Any:
    """Run `work` in a thread of its own: Playwright's event loop runs in the test's thread,
    and sending socket events (`async_to_sync`) may not happen inside it."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:
            outcome.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert outcome, "the work did not finish within a minute"
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def poll(page: Any, condition: Callable[[], Any], *, seconds: float, message: str) -> None:
    """Wait for a condition on what the page's sockets did; Playwright delivers their
    events while it has control, so the wait is one of its own."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    pytest.fail(message)


def test_a_task_page_hears_its_events_through_one_socket(
    browser: Any,  # noqa: F811 - the fixture imported above
    asgi_server: Callable[..., Server],
    pioneer: Any,
    user_factory: Any,
) -> None:
    requester = user_factory(roles=[Role.REQUESTER])
    first = off_the_browser_loop(lambda: published(requester, "Birds", items=2))
    server = asgi_server()
    context = browser.new_context(base_url=f"http://127.0.0.1:{server.port}")
    context.set_default_timeout(15_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        sign_in(page, pioneer.email)
        expect(page.locator("#feed-events")).to_contain_text("Connected")

        sockets: list[Any] = []
        sent: list[dict[str, Any]] = []
        received: list[dict[str, Any]] = []

        def watch(socket: Any) -> None:
            sockets.append(socket)
            socket.on("framesent", lambda payload: sent.append(json.loads(payload)))
            socket.on("framereceived", lambda payload: received.append(json.loads(payload)))

        page.on("websocket", watch)
        page.goto("/tasks/")
        topic = f"project:{first.public_id}"
        poll(
            page,
            lambda: {"type": "subscribed", "topic": topic} in received,
            seconds=15,
            message=f"the page never subscribed to {topic}: sent {sent}, got {received}",
        )

        # A claim by someone else changes the remaining count on the project's topic.
        other = user_factory(roles=[Role.PIONEER], verified=True)
        off_the_browser_loop(lambda: item_claim_next(project=first, pioneer=other))
        off_the_browser_loop(lambda: remaining_broadcast(project=first))
        expect(page.locator(f'[data-remaining="{first.public_id}"]')).to_have_text("1 item")

        # A new project reaches the pioneer's own channel and becomes a card like the
        # others: kind, reward, remaining items, level, and the way in.
        second = off_the_browser_loop(lambda: published(requester, "Bats", items=1))
        card = page.locator(f'[data-project="{second.public_id}"]')
        expect(card).to_contain_text("Bats")
        expect(card).to_contain_text("Single label")
        expect(card).to_contain_text(
            f"{second.reward} point{'' if second.reward == 1 else 's'} per answer"
        )
        expect(card.locator(f'[data-remaining="{second.public_id}"]')).to_have_text("1 item")
        expect(card).to_contain_text("1+")
        expect(card.get_by_role("link", name="Start working")).to_be_visible()

        # Once its last item is taken, the card stops offering work.
        off_the_browser_loop(lambda: item_claim_next(project=second, pioneer=other))
        off_the_browser_loop(lambda: remaining_broadcast(project=second))
        expect(card.get_by_role("link", name="Start working")).to_be_hidden()
        expect(card).to_contain_text("nothing left to do here")

        assert [socket.url.endswith("/ws/feed/") for socket in sockets] == [True]
        assert [frame for frame in sent if frame["type"] == "subscribe"] == [
            {"type": "subscribe", "topic": topic},
            {"type": "subscribe", "topic": f"project:{second.public_id}"},
        ]
        assert blocked == []
    finally:
        context.close()
