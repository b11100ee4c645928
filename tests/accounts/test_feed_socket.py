"""`/ws/feed/` over the configured channel layer (Redis under CI): events reach only their user."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.services import notify_user
from pioneer_platform.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def _close_worker_connections() -> Any:
    # The session lookups ran in asgiref's worker thread; close its connection so the test
    # database can be dropped at the end of the run.
    yield
    await sync_to_async(connections.close_all)()


def session_headers(user: Any, origin: bytes = b"http://localhost") -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()), (b"origin", origin)]


async def connected(user: Any) -> WebsocketCommunicator:
    headers = await sync_to_async(session_headers)(user)
    socket = WebsocketCommunicator(application, "/ws/feed/", headers=headers)
    ok, _ = await socket.connect()
    assert ok
    assert await socket.receive_json_from() == {"type": "hello"}
    return socket


def test_layer_is_redis_when_configured() -> None:
    backend = type(get_channel_layer()).__module__
    assert backend.startswith("channels_redis" if settings.REDIS_URL else "channels.layers")


async def test_event_reaches_only_its_user(user_factory: Any) -> None:
    alice, bob = await sync_to_async(lambda: (user_factory(), user_factory()))()
    alice_socket = await connected(alice)
    bob_socket = await connected(bob)
    try:
        await sync_to_async(notify_user)(user=alice, event={"type": "test.event", "n": 1})
        await sync_to_async(notify_user)(user=bob, event={"type": "test.event", "n": 2})
        assert await alice_socket.receive_json_from(timeout=5) == {"type": "test.event", "n": 1}
        # Bob's first message is his own event: Alice's never reached him.
        assert await bob_socket.receive_json_from(timeout=5) == {"type": "test.event", "n": 2}
    finally:
        await alice_socket.disconnect()
        await bob_socket.disconnect()


async def test_every_open_socket_of_the_user_hears_it(user_factory: Any) -> None:
    carol = await sync_to_async(user_factory)()
    phone, laptop = await connected(carol), await connected(carol)
    try:
        await sync_to_async(notify_user)(user=carol, event={"type": "ping.test"})
        assert await phone.receive_json_from(timeout=5) == {"type": "ping.test"}
        assert await laptop.receive_json_from(timeout=5) == {"type": "ping.test"}
    finally:
        await phone.disconnect()
        await laptop.disconnect()


async def test_anonymous_socket_is_refused() -> None:
    socket = WebsocketCommunicator(
        application, "/ws/feed/", headers=[(b"origin", b"http://localhost")]
    )
    ok, code = await socket.connect()
    assert not ok
    assert code == 4401


async def test_foreign_origin_is_refused(user: Any) -> None:
    headers = await sync_to_async(session_headers)(user, b"https://evil.example.net")
    socket = WebsocketCommunicator(application, "/ws/feed/", headers=headers)
    ok, _ = await socket.connect()
    assert not ok


async def test_ping_gets_pong(user: Any) -> None:
    socket = await connected(user)
    try:
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    finally:
        await socket.disconnect()


def test_event_is_not_sent_when_the_transaction_rolls_back(user: Any) -> None:
    from django.db import transaction

    sent: list[Any] = []
    layer = get_channel_layer()
    original = layer.group_send

    async def spy(group: str, message: Any) -> None:
        sent.append(message)
        await original(group, message)

    layer.group_send = spy  # type: ignore[method-assign]
    try:
        try:
            with transaction.atomic():
                notify_user(user=user, event={"type": "never"})
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        notify_user(user=user, event={"type": "after"})
    finally:
        layer.group_send = original  # type: ignore[method-assign]
    assert [message["event"]["type"] for message in sent] == ["after"]


@pytest.mark.parametrize(
    "event",
    [
        {"no_type": True},  # every event needs a type for the client to dispatch on
        {"type": 7},  # and it is a string
        {"type": "x", "when": object()},  # not JSON
    ],
)
def test_malformed_events_fail_at_the_caller(user: Any, event: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        notify_user(user=user, event=event)


async def test_topic_subscription_is_permission_checked(user_factory: Any) -> None:
    from accounts import realtime
    from accounts.services import notify_topic

    dana = await sync_to_async(user_factory)()
    realtime.register_topic("testroom", lambda user, key: key == "open")
    socket = await connected(dana)
    try:
        await socket.send_json_to({"type": "subscribe", "topic": "testroom:closed"})
        assert (await socket.receive_json_from(timeout=5))["type"] == "error"
        await socket.send_json_to({"type": "subscribe", "topic": "nosuchprefix:1"})
        assert (await socket.receive_json_from(timeout=5))["type"] == "error"
        await socket.send_json_to({"type": "subscribe", "topic": "testroom:open"})
        assert await socket.receive_json_from(timeout=5) == {
            "type": "subscribed",
            "topic": "testroom:open",
        }
        await sync_to_async(notify_topic)(topic="testroom:closed", event={"type": "secret"})
        await sync_to_async(notify_topic)(topic="testroom:open", event={"type": "public"})
        # The first event through is the open room's: the closed room's never arrived.
        assert await socket.receive_json_from(timeout=5) == {"type": "public"}
    finally:
        await socket.disconnect()


async def test_garbage_messages_get_an_error_not_a_crash(user: Any) -> None:
    socket = await connected(user)
    try:
        await socket.send_to(text_data="{not json")
        assert (await socket.receive_json_from(timeout=5))["type"] == "error"
        await socket.send_json_to(["a", "list"])
        assert (await socket.receive_json_from(timeout=5))["type"] == "error"
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    finally:
        await socket.disconnect()
