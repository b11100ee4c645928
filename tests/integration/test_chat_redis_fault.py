"""The channel layer's Redis dies mid-conversation and comes back: posts during the outage
are refused with a clear reason and nothing half-written, and clients that reconnect and
resume from their last id end with every stored message, in order, once each.

The test runs its own `redis-server` on a free port for the channel layer, so killing it
touches nothing else; the database is the test's PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from community.consumers import CLOSE_RESUME
from community.models import Message
from community.services import chat
from tests.community.helpers import chat_socket, frames_of
from tests.integration.helpers import free_port, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_connections"),
]


class OwnRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "the fault test needs redis-server on the PATH"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, seconds=10, message="redis-server did not answer")

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(settings: Any, postgres: None) -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [server.url]},
        },
        "chat": {
            "BACKEND": "core.channel_layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [server.url]},
        },
    }
    try:
        yield server
    finally:
        if server.process and server.process.poll() is None:
            server.kill()


async def _gone(socket: WebsocketCommunicator) -> None:
    """The socket's consumer lost its channel layer's subscription: it closes with the code
    on which the page script reconnects and resumes."""
    try:
        while True:
            output = await socket.receive_output(timeout=10)
            if output["type"] == "websocket.close":
                assert output.get("code") == CLOSE_RESUME, output
                return
    except TimeoutError:
        raise AssertionError("the socket stayed open without its channel layer") from None


async def _reconnect(user: User, after: int) -> WebsocketCommunicator:
    """Reconnect as the page script does, trying again while the handshake fails (the
    first commands on connections pooled before the restart fail once)."""
    failures: list[BaseException] = []
    while len(failures) < 10:
        try:
            return await chat_socket(user, "lounge", after=after)
        except Exception as error:  # the consumer failed during the handshake; retry
            failures.append(error)
    raise AssertionError(f"could not reconnect after Redis came back: {failures[-1]!r}")


def _post_over_api(user: User, body: str) -> Any:
    client = APIClient()
    client.force_login(user)
    return client.post("/api/v1/rooms/lounge/messages/", {"body": body}, format="json")


async def _two_chatting(
    user_factory: Any, body: str
) -> tuple[User, User, WebsocketCommunicator, WebsocketCommunicator, dict[str, Any]]:
    """Ada and Bo in the lounge, each with a socket; Ada has posted `body` and Bo has it."""

    def people() -> tuple[User, User]:
        chat.standing_rooms_open()
        return (
            user_factory(roles=[Role.PIONEER], verified=True),
            user_factory(roles=[Role.PIONEER], verified=True),
        )

    ada, bo = await sync_to_async(people)()
    ada_socket = await chat_socket(ada, "lounge")
    bo_socket = await chat_socket(bo, "lounge")
    await ada_socket.send_json_to({"type": "post", "body": body})
    [first] = await frames_of(bo_socket, "chat.message", 1)
    return ada, bo, ada_socket, bo_socket, first


async def test_redis_outage_refuses_posts_and_clients_resume_with_every_message(
    own_redis: OwnRedis, user_factory: Any
) -> None:
    ada, bo, ada_socket, bo_socket, first = await _two_chatting(user_factory, "before the outage")
    assert first["id"] == 1

    own_redis.kill()
    # A post while Redis is down: a clear refusal, nothing stored.
    refused = await sync_to_async(_post_over_api)(ada, "during the outage")
    assert refused.status_code == 503
    assert "not sent" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert await sync_to_async(Message.objects.count)() == 1
    await _gone(ada_socket)
    await _gone(bo_socket)
    # The closed sockets' consumers end cleanly, though they cannot leave their groups.
    await ada_socket.disconnect()
    await bo_socket.disconnect()

    own_redis.start()  # the same port, empty: every group membership was lost with it
    # Ada comes back first and posts twice; Bo, still away, resumes from the last id he saw.
    ada_again = await _reconnect(ada, after=1)
    assert (await ada_again.receive_json_from(timeout=5))["type"] == "resumed"
    for body in ("after the outage", "are you back?"):
        answer = await sync_to_async(_post_over_api)(ada, body)
        assert answer.status_code == 201, answer.content
    bo_again = await _reconnect(bo, after=first["id"])
    missed = await frames_of(bo_again, "chat.message", 2)
    assert [(m["id"], m["body"]) for m in missed] == [(2, "after the outage"), (3, "are you back?")]
    # And the room is live again for both.
    await bo_again.send_json_to({"type": "post", "body": "yes"})
    live = await frames_of(ada_again, "chat.message", 3)
    assert [m["id"] for m in live] == [2, 3, 4]
    await ada_again.disconnect()
    await bo_again.disconnect()


async def test_a_dropped_subscription_closes_chat_sockets_and_they_resume(
    own_redis: OwnRedis, user_factory: Any
) -> None:
    """Redis stays up but drops the process's pub/sub connection (as it does to a subscriber
    past its output buffer limit): redis-py reconnects and subscribes again on its own, and
    what was published in between is lost to this process. The sockets are told to resume."""
    ada, bo, ada_socket, bo_socket, first = await _two_chatting(user_factory, "before the drop")

    killed = redis.Redis.from_url(own_redis.url).client_kill_filter(_type="pubsub")
    assert killed >= 1
    await _gone(ada_socket)
    await _gone(bo_socket)
    answer = await sync_to_async(_post_over_api)(ada, "while Bo reconnects")
    assert answer.status_code == 201, answer.content
    bo_again = await chat_socket(bo, "lounge", after=first["id"])
    [missed] = await frames_of(bo_again, "chat.message", 1)
    assert (missed["id"], missed["body"]) == (2, "while Bo reconnects")
    # Sockets opened after the drop are not told to go again: they are live.
    await bo_again.send_json_to({"type": "post", "body": "back"})
    ada_again = await chat_socket(ada, "lounge", after=2)
    [live] = await frames_of(ada_again, "chat.message", 1)
    assert live["id"] == 3
    await sync_to_async(_post_over_api)(ada, "and live")
    assert [m["id"] for m in await frames_of(bo_again, "chat.message", 2)] == [3, 4]
    await ada_again.disconnect()
    await bo_again.disconnect()
