"""`/ws/feed/` over the configured channel layer (Redis under CI): events reach only their user."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.services.sockets import notify_user
from pioneer_platform.asgi import application
from tests.accounts.helpers import connected, cookie_headers, session_headers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_connections"),
]


def test_layer_is_redis_when_configured() -> None:
    backend = type(get_channel_layer()).__module__
    assert backend.startswith("core.channel_layer" if settings.REDIS_URL else "channels.layers")


def test_an_idle_sockets_wait_ends_before_redis_stops_reading() -> None:
    """A socket's wait for its next message (a blocking pop on the server) must end before
    the client's read timeout, or an idle socket dies with a TimeoutError (1011)."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    from core.channel_layer import RedisChannelLayer, create_pool

    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    read_timeout = create_pool(layer.hosts[0]).make_connection().socket_timeout
    assert read_timeout is None or layer.brpop_timeout < read_timeout - 1


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
        application,
        "/ws/feed/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
    )
    try:
        ok, code = await socket.connect()
        assert not ok
        assert code == 4401
    finally:
        await socket.disconnect()


async def test_foreign_origin_is_refused(user: Any) -> None:
    headers = await sync_to_async(session_headers)(user, b"https://evil.example.net")
    socket = WebsocketCommunicator(application, "/ws/feed/", headers=headers)
    try:
        ok, _ = await socket.connect()
        assert not ok
    finally:
        # Ends the refused application instance here, not in the event loop's shutdown.
        await socket.disconnect()


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
    from accounts.services.sockets import notify_topic

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


async def pong_still_answers(socket: WebsocketCommunicator) -> None:
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param("", id="empty"),  # an empty text frame
        pytest.param(" ", id="blank"),  # whitespace only: not JSON
        # Nested far past the parser's recursion limit.
        pytest.param("[" * 100_000 + "]" * 100_000, id="deep-100k"),
        # Deep objects and lists, small enough to pass the size cap.
        pytest.param('{"a":' * 2_000 + "1" + "}" * 2_000, id="deep-objects"),
        pytest.param("[" * 1_500 + "]" * 1_500, id="deep-lists"),
        # Larger than any control message.
        pytest.param('{"type": "ping", "pad": "' + "x" * 70_000 + '"}', id="oversized"),
        pytest.param("null", id="null"),  # JSON, but not an object
        pytest.param('"subscribe"', id="bare-string"),  # a bare string
        pytest.param('{"type": ["ping"]}', id="type-list"),  # a type that is not hashable
        pytest.param('{"type": {"k": 1}}', id="type-object"),  # an object as the type
        # Topics that are not strings, or strings that are no topic.
        pytest.param('{"type": "unsubscribe", "topic": ["a", "list"]}', id="unsub-list"),
        pytest.param('{"type": "unsubscribe", "topic": {"k": "v"}}', id="unsub-object"),
        pytest.param('{"type": "unsubscribe", "topic": 7}', id="unsub-number"),
        pytest.param('{"type": "unsubscribe", "topic": "not a topic"}', id="unsub-no-topic"),
        pytest.param('{"type": "subscribe", "topic": ["project:1"]}', id="sub-list"),
        # A lone surrogate in the topic: valid JSON, not encodable as UTF-8.
        pytest.param('{"type": "subscribe", "topic": "\\ud800:1"}', id="sub-surrogate"),
        pytest.param(
            '{"type": "subscribe", "topic": "project:' + "9" * 5_000 + '"}', id="sub-long"
        ),
        # Not JSON in the strict sense.
        pytest.param('{"type": "subscribe", "topic": NaN}', id="nan"),
    ],
)
async def test_hostile_text_frames_get_an_error_frame_and_the_socket_stays(
    user: Any, frame: str
) -> None:
    socket = await connected(user)
    try:
        # Sent raw: the communicator's helper refuses an empty frame.
        await socket.send_input({"type": "websocket.receive", "text": frame})
        reply = await socket.receive_json_from(timeout=5)
        assert reply["type"] == "error"
        assert isinstance(reply["detail"], str)
        await pong_still_answers(socket)
    finally:
        await socket.disconnect()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x00", id="one-byte"),  # one byte
        pytest.param(b'{"type": "ping"}', id="json"),  # valid JSON, but in a binary frame
        pytest.param(b"\xff" * 70_000, id="large"),  # a large binary frame
    ],
)
async def test_binary_frames_get_an_error_frame_and_the_socket_stays(
    user: Any, data: bytes
) -> None:
    socket = await connected(user)
    try:
        await socket.send_input({"type": "websocket.receive", "bytes": data})
        reply = await socket.receive_json_from(timeout=5)
        assert reply == {"type": "error", "detail": "Send text frames: one JSON object each."}
        await pong_still_answers(socket)
    finally:
        await socket.disconnect()


@pytest.mark.parametrize(
    ("origin", "host", "accepted"),
    [
        (b"http://localhost", b"localhost", True),  # the page's own origin
        (b"http://localhost:80", b"localhost", True),  # the default port written out
        (b"http://localhost:9999", b"localhost", False),  # another port on the same host
        (b"https://localhost", b"localhost", False),  # another scheme on the same host
        (b"http://localhost.evil.example", b"localhost", False),  # a longer name
        (b"https://evil.example.net", b"localhost", False),  # another site
        (b"null", b"localhost", False),  # sandboxed frames and file: pages
        (b"http://evil.example.net", b"evil.example.net", False),  # host not in ALLOWED_HOSTS
        (b"http://127.0.0.1:8000", b"localhost", True),  # SITE_URL, whatever the Host
        (b"http://127.0.0.1:8001", b"localhost", False),  # next to SITE_URL
        (None, b"localhost", False),  # no Origin header at all
    ],
)
async def test_origin_must_match_scheme_host_and_port(
    user: Any, settings: Any, origin: bytes | None, host: bytes, accepted: bool
) -> None:
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.CSRF_TRUSTED_ORIGINS = []
    headers = [
        (name, value)
        for name, value in await sync_to_async(session_headers)(user)
        if name not in {b"origin", b"host"}
    ]
    headers.append((b"host", host))
    if origin is not None:
        headers.append((b"origin", origin))
    socket = WebsocketCommunicator(application, "/ws/feed/", headers=headers)
    ok, _ = await socket.connect()
    try:
        assert ok is accepted
    finally:
        await socket.disconnect()


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (b"https://app.example.org", True),  # listed exactly
        (b"https://eu.example.com", True),  # under a listed wildcard
        (b"http://eu.example.com", False),  # the wildcard's host with another scheme
        (b"https://example.com.evil.net", False),  # looks like it, is not under it
    ],
)
async def test_trusted_origins_are_honoured_like_csrf(
    user: Any, settings: Any, origin: bytes, accepted: bool
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.org", "https://*.example.com"]
    headers = [
        (name, value)
        for name, value in await sync_to_async(session_headers)(user)
        if name != b"origin"
    ]
    socket = WebsocketCommunicator(
        application, "/ws/feed/", headers=[*headers, (b"origin", origin)]
    )
    ok, _ = await socket.connect()
    try:
        assert ok is accepted
    finally:
        await socket.disconnect()


def signed_in_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def closed_with(socket: WebsocketCommunicator) -> int:
    """The code the server closed `socket` with; then the client's side of the close."""
    message = await socket.receive_output(timeout=5)
    assert message["type"] == "websocket.close", message
    await socket.disconnect()
    return int(message["code"])


async def test_logout_closes_the_sockets_of_that_session_only(user_factory: Any) -> None:
    erin, frank = await sync_to_async(lambda: (user_factory(), user_factory()))()
    laptop_client, phone_client = await sync_to_async(
        lambda: (signed_in_client(erin), signed_in_client(erin))
    )()
    laptop = await connected(erin, laptop_client)
    phone = await connected(erin, phone_client)
    other = await connected(frank)
    try:
        response = await sync_to_async(laptop_client.post)("/accounts/logout/")
        assert response.status_code == 302
        assert await closed_with(laptop) == 4401
        # The phone's session is still signed in: its socket keeps working, and so does
        # everyone else's.
        await pong_still_answers(phone)
        await pong_still_answers(other)
        # Reconnecting with the ended session is refused.
        retry = WebsocketCommunicator(
            application, "/ws/feed/", headers=cookie_headers(laptop_client)
        )
        assert await retry.connect() == (False, 4401)
    finally:
        await phone.disconnect()
        await other.disconnect()


async def test_password_change_closes_every_socket_of_the_person(user_factory: Any) -> None:
    from tests.conftest import PASSWORD

    gina, hank = await sync_to_async(lambda: (user_factory(), user_factory()))()
    laptop_client, phone_client = await sync_to_async(
        lambda: (signed_in_client(gina), signed_in_client(gina))
    )()
    laptop = await connected(gina, laptop_client)
    phone = await connected(gina, phone_client)
    other = await connected(hank)
    try:
        new = "a-new-long-passphrase-42"
        response = await sync_to_async(laptop_client.post)(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": new, "password2": new},
        )
        assert response.status_code == 302
        assert await closed_with(laptop) == 4001
        assert await closed_with(phone) == 4001
        await pong_still_answers(other)
        # The session that changed the password may reconnect; the other one has ended.
        again = WebsocketCommunicator(
            application, "/ws/feed/", headers=cookie_headers(laptop_client)
        )
        assert (await again.connect())[0] is True
        await again.disconnect()
        stale = WebsocketCommunicator(
            application, "/ws/feed/", headers=cookie_headers(phone_client)
        )
        assert await stale.connect() == (False, 4401)
    finally:
        await other.disconnect()


async def test_password_reset_closes_every_socket_of_the_person(user: Any) -> None:
    from accounts.models import User

    socket = await connected(user)

    def reset() -> None:
        # What allauth's reset-by-link and the admin's password form both end in.
        person = User.objects.get(pk=user.pk)
        person.set_password("reset-by-email-link-77")
        person.save()

    await sync_to_async(reset)()
    assert await closed_with(socket) == 4001


async def test_events_after_close_do_not_reach_a_closed_socket(user: Any) -> None:
    client = await sync_to_async(signed_in_client)(user)
    socket = await connected(user, client)
    await sync_to_async(client.post)("/accounts/logout/")
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    # Before the client has answered the close, the socket is already out of its groups.
    await sync_to_async(notify_user)(user=user, event={"type": "late"})
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()
