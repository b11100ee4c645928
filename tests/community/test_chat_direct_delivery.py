"""A room's events reach sockets without each socket's queue (core.channel_layer's direct
delivery, under Redis), and a socket that connects while messages are posted still gets
each message once, in order: the backlog first, then what arrived live meanwhile."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from community import chat_selectors
from community.consumers import ChatConsumer
from community.models import Room
from community.services import chat
from tests.community.helpers import chat_socket, frames_of, say

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_connections"),
]


def pub_sub_layer() -> Any:
    if not settings.REDIS_URL:
        pytest.skip("direct delivery is the Redis pub/sub layer's")
    return get_channel_layer(chat.CHAT_LAYER)


async def test_group_events_of_the_registered_types_skip_the_queue_in_order() -> None:
    layer = pub_sub_layer()
    direct, plain = await layer.new_channel(), await layer.new_channel()
    heard: list[tuple[str, int]] = []
    three = asyncio.Event()

    async def handler(message: dict[str, Any]) -> None:
        heard.append((message["type"], message["n"]))
        if len(heard) == 3:
            three.set()

    layer.deliver_directly(direct, ("room.event",), handler)
    try:
        for channel in (direct, plain):
            await layer.group_add("direct-test", channel)
        for n in range(3):
            await layer.group_send("direct-test", {"type": "room.event", "n": n})
        # Another type, for the same channel, still goes through its queue.
        await layer.group_send("direct-test", {"type": "room.other", "n": 9})
        await asyncio.wait_for(three.wait(), timeout=5)
        assert heard == [("room.event", 0), ("room.event", 1), ("room.event", 2)]
        assert await asyncio.wait_for(layer.receive(direct), timeout=5) == {
            "type": "room.other",
            "n": 9,
        }
        plain_got = [await asyncio.wait_for(layer.receive(plain), timeout=5) for _ in range(4)]
        assert [m["n"] for m in plain_got] == [0, 1, 2, 9]
    finally:
        layer.stop_delivering_directly(direct)
        for channel in (direct, plain):
            await layer.group_discard("direct-test", channel)
    # Stopped: the next event waits in the channel's queue instead.
    await layer.group_add("direct-test", direct)
    await layer.group_send("direct-test", {"type": "room.event", "n": 4})
    assert (await asyncio.wait_for(layer.receive(direct), timeout=5))["n"] == 4
    assert len(heard) == 3
    await layer.group_discard("direct-test", direct)


async def test_a_failing_handler_does_not_stop_the_others() -> None:
    layer = pub_sub_layer()
    first, second = await layer.new_channel(), await layer.new_channel()
    reached = asyncio.Event()

    async def broken(message: dict[str, Any]) -> None:
        raise RuntimeError("a socket that went away")

    async def working(message: dict[str, Any]) -> None:
        reached.set()

    layer.deliver_directly(first, ("room.event",), broken)
    layer.deliver_directly(second, ("room.event",), working)
    try:
        for channel in (first, second):
            await layer.group_add("direct-failing", channel)
        await layer.group_send("direct-failing", {"type": "room.event"})
        await asyncio.wait_for(reached.wait(), timeout=5)
    finally:
        for channel in (first, second):
            layer.stop_delivering_directly(channel)
            await layer.group_discard("direct-failing", channel)


async def test_messages_posted_while_a_socket_resumes_arrive_once_and_in_order(
    lounge: Room, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One message is committed after the socket joined the room but before its backlog is
    read (so it is in both), another after the read (so only live): the socket gets 1-3 from
    the backlog, then 4, each once."""
    moment = timezone.now()
    for n in range(2):
        await sync_to_async(say)(lounge, member, f"before {n}", moment + timedelta(seconds=n))
    read_backlog = chat_selectors.missed_since
    handed_over = threading.Event()
    chat_event = ChatConsumer.chat_event

    async def watched_chat_event(consumer: ChatConsumer, message: dict[str, Any]) -> None:
        await chat_event(consumer, message)
        if message["id"] == 4:
            handed_over.set()

    def racing_read(**kwargs: Any) -> Any:
        say(lounge, member, "while joining", moment + timedelta(seconds=2))
        missed = read_backlog(**kwargs)
        say(lounge, member, "after the read", moment + timedelta(seconds=3))
        if settings.REDIS_URL:
            # Under Redis both events reach the consumer while it is still connecting;
            # in memory they wait in its queue until it is done, by construction.
            assert handed_over.wait(timeout=5)
        return missed

    monkeypatch.setattr(ChatConsumer, "chat_event", watched_chat_event)
    monkeypatch.setattr(chat_selectors, "missed_since", racing_read)
    socket = await chat_socket(member, "lounge", after=0)
    frames = [await socket.receive_json_from(timeout=5) for _ in range(5)]
    assert [(f["type"], f.get("id")) for f in frames] == [
        ("chat.message", 1),
        ("chat.message", 2),
        ("chat.message", 3),
        ("resumed", None),
        ("chat.message", 4),
    ]
    assert frames[4]["body"] == "after the read"
    assert await socket.receive_nothing(timeout=0.3)
    # And live as usual afterwards.
    await sync_to_async(say)(lounge, member, "later", moment + timedelta(seconds=4))
    [later] = await frames_of(socket, "chat.message", 1)
    assert later["id"] == 5
    await socket.disconnect()


async def test_the_poster_hears_posted_before_their_message_comes_back(
    lounge: Room, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed_over = threading.Event()
    chat_event = ChatConsumer.chat_event
    message_post = chat.message_post

    async def watched_chat_event(consumer: ChatConsumer, message: dict[str, Any]) -> None:
        await chat_event(consumer, message)
        handed_over.set()

    def post_and_wait(**kwargs: Any) -> Any:
        message = message_post(**kwargs)
        if settings.REDIS_URL:
            # The live copy reaches the consumer while it still waits for this answer.
            assert handed_over.wait(timeout=5)
        return message

    monkeypatch.setattr(ChatConsumer, "chat_event", watched_chat_event)
    monkeypatch.setattr(chat, "message_post", post_and_wait)
    socket = await chat_socket(member, "lounge")
    await socket.send_json_to({"type": "post", "body": "mine", "client_id": "c1"})
    first = await socket.receive_json_from(timeout=5)
    second = await socket.receive_json_from(timeout=5)
    assert (first["type"], first["id"], first["client_id"]) == ("posted", 1, "c1")
    assert (second["type"], second["id"], second["body"]) == ("chat.message", 1, "mine")
    await socket.disconnect()
