"""`/ws/chat/<slug>/` over the configured channel layer (Redis under CI) and the real
database: live messages, resuming after a disconnect, refusals as error frames."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.services.sockets import CLOSE_SESSION_ENDED
from community.consumers import CLOSE_NO_ROOM, CLOSE_RESUME, ChatConsumer
from community.models import Report, Room
from community.services import chat, moderation
from community.services.moderation import CLOSE_BANNED
from pioneer_platform.asgi import application
from tests.accounts.helpers import connected, next_event, session_headers
from tests.community.helpers import chat_socket, frames_of, say

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_connections"),
]


async def test_two_people_chat_and_a_reconnect_gets_exactly_what_it_missed(
    lounge: Room, members: Callable[[int], list[User]]
) -> None:
    ada, bo = await sync_to_async(members)(2)
    ada_socket = await chat_socket(ada, "lounge")
    bo_socket = await chat_socket(bo, "lounge")
    await ada_socket.send_json_to({"type": "post", "body": "hi Bo", "client_id": "c1"})
    assert await ada_socket.receive_json_from(timeout=5) == {
        "type": "posted",
        "id": 1,
        "client_id": "c1",
    }
    [heard] = await frames_of(bo_socket, "chat.message", 1)
    assert (heard["id"], heard["body"], heard["author"]["id"]) == (1, "hi Bo", str(ada.public_id))
    await bo_socket.send_json_to({"type": "post", "body": "hi Ada"})
    heard_by_ada = await frames_of(ada_socket, "chat.message", 2)
    assert [m["body"] for m in heard_by_ada] == ["hi Bo", "hi Ada"]
    await bo_socket.disconnect()

    moment = timezone.now()
    for n in range(3):
        await sync_to_async(say)(lounge, ada, f"while away {n}", moment + timedelta(seconds=n))
    bo_again = await chat_socket(bo, "lounge", after=2)
    missed = [await bo_again.receive_json_from(timeout=5) for _ in range(4)]
    assert [(m["type"], m.get("id")) for m in missed] == [
        ("chat.message", 3),
        ("chat.message", 4),
        ("chat.message", 5),
        ("resumed", None),
    ]
    assert [m["body"] for m in missed[:3]] == [f"while away {n}" for n in range(3)]
    assert missed[3]["last_id"] == 5
    # Live again: the next message arrives once, after the replay.
    await sync_to_async(say)(lounge, ada, "welcome back", moment + timedelta(seconds=4))
    [live] = await frames_of(bo_again, "chat.message", 1)
    assert live["id"] == 6
    assert await bo_again.receive_nothing(timeout=0.2)
    await ada_socket.disconnect()
    await bo_again.disconnect()


async def test_unverified_post_is_refused_and_the_socket_stays_open(
    lounge: Room, user_factory: Any
) -> None:
    newcomer = await sync_to_async(user_factory)(roles=[Role.PIONEER])
    socket = await chat_socket(newcomer, "lounge")
    await socket.send_json_to({"type": "post", "body": "hello?", "client_id": "x"})
    error = await socket.receive_json_from(timeout=5)
    assert (error["type"], error["code"], error["client_id"]) == ("error", "not_allowed", "x")
    assert "verified" in error["detail"]
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    assert not await sync_to_async(lounge.messages.exists)()
    await socket.disconnect()


async def test_muted_person_is_refused_until_the_mute_ends(
    lounge: Room, member: User, moderator: User
) -> None:
    now = timezone.now()
    await sync_to_async(moderation.mute_create)(
        subject=member, moderator=moderator, room=lounge, minutes=5, reason="too loud", now=now
    )
    socket = await chat_socket(member, "lounge")
    await socket.send_json_to({"type": "post", "body": "let me talk"})
    error = await socket.receive_json_from(timeout=5)
    assert (error["code"], error["reason"]) == ("muted", "too loud")
    assert error["until"].startswith(f"{now + timedelta(minutes=5):%Y-%m-%dT%H:%M}")
    # The mute ends: the same post goes through, moved in time rather than waited for.
    later = await sync_to_async(say)(lounge, member, "let me talk", now + timedelta(minutes=6))
    assert later.seq == 1
    await socket.disconnect()


async def test_rate_limited_frame_says_when_to_retry(lounge: Room, member: User) -> None:
    socket = await chat_socket(member, "lounge")
    for n in range(chat.RATE_LIMIT_COUNT):
        await socket.send_json_to({"type": "post", "body": f"m{n}"})
        await frames_of(socket, "posted", 1)
    await socket.send_json_to({"type": "post", "body": "again"})
    [error] = await frames_of(socket, "error", 1)
    assert error["code"] == "rate_limited"
    assert 1 <= error["retry_after"] <= 10
    await socket.disconnect()


async def test_moderator_delete_reaches_connected_clients_live(
    lounge: Room, members: Callable[[int], list[User]], moderator: User
) -> None:
    author, reader = await sync_to_async(members)(2)
    message = await sync_to_async(say)(lounge, author, "buy cheap watches")
    author_socket = await chat_socket(author, "lounge")
    reader_socket = await chat_socket(reader, "lounge")
    await sync_to_async(moderation.message_remove)(
        message=message, moderator=moderator, reason="spam"
    )
    for socket in (author_socket, reader_socket):
        [gone] = await frames_of(socket, "chat.delete", 1)
        assert (gone["id"], gone["deleted"], gone["removed_by_moderator"]) == (1, True, True)
        assert gone["body"] == ""
        await socket.disconnect()


async def test_slow_mode_reaches_connected_clients_live(
    lounge: Room, member: User, moderator: User
) -> None:
    socket = await chat_socket(member, "lounge")
    await sync_to_async(moderation.room_set_slow_mode)(room=lounge, moderator=moderator, seconds=30)
    [slow] = await frames_of(socket, "chat.slow_mode", 1)
    assert slow == {"type": "chat.slow_mode", "room": "lounge", "seconds": 30}
    await socket.disconnect()


async def test_edit_and_own_delete_reach_the_room(
    lounge: Room, members: Callable[[int], list[User]]
) -> None:
    author, reader = await sync_to_async(members)(2)
    author_socket = await chat_socket(author, "lounge")
    reader_socket = await chat_socket(reader, "lounge")
    await author_socket.send_json_to({"type": "post", "body": "helo"})
    await frames_of(author_socket, "posted", 1)
    await author_socket.send_json_to({"type": "edit", "id": 1, "body": "hello"})
    [edited] = await frames_of(reader_socket, "chat.edit", 1)
    assert (edited["body"], edited["edited_at"] is not None) == ("hello", True)
    await reader_socket.send_json_to({"type": "delete", "id": 1})
    [refused] = await frames_of(reader_socket, "error", 1)
    assert refused["code"] == "not_allowed"
    await author_socket.send_json_to({"type": "delete", "id": 1})
    [gone] = await frames_of(reader_socket, "chat.delete", 1)
    assert not gone["removed_by_moderator"]
    await author_socket.disconnect()
    await reader_socket.disconnect()


async def test_report_over_the_socket_lands_in_the_queue(
    lounge: Room, members: Callable[[int], list[User]]
) -> None:
    author, reporter = await sync_to_async(members)(2)
    await sync_to_async(say)(lounge, author, "rude")
    socket = await chat_socket(reporter, "lounge")
    await socket.send_json_to({"type": "report", "id": 1, "reason": "insulting"})
    assert await socket.receive_json_from(timeout=5) == {"type": "reported", "id": 1}
    report = await sync_to_async(Report.objects.select_related("message").get)()
    assert (report.message.seq, report.reason) == (1, "insulting")
    await socket.disconnect()


async def test_mention_notifies_the_person_on_their_feed(
    lounge: Room, member_factory: Callable[..., User]
) -> None:
    from accounts.models import Profile

    author, named = await sync_to_async(lambda: (member_factory(), member_factory()))()
    await sync_to_async(Profile.objects.filter(user=named).update)(display_name="Grace")
    feed = await connected(named)
    await sync_to_async(say)(lounge, author, "thanks @grace!")
    event = await next_event(feed, "chat.mention")
    assert (event["room"], event["id"]) == ("lounge", 1)
    # Kept, too: the bell hears it.
    bell = await next_event(feed, "notification")
    assert bell["notification"]["kind"] == "chat.mention"
    assert bell["notification"]["url"] == "/chat/lounge/#m-1"
    await feed.disconnect()


async def test_a_mute_reaches_the_persons_feed_and_their_bell(
    lounge: Room, member: User, moderator: User
) -> None:
    feed = await connected(member)
    await sync_to_async(moderation.mute_create)(
        subject=member, moderator=moderator, room=lounge, minutes=30, reason="flooding"
    )
    event = await next_event(feed, "chat.muted")
    assert (event["room"], event["reason"]) == ("lounge", "flooding")
    bell = await next_event(feed, "notification")
    assert bell["notification"]["kind"] == "chat.moderation"
    assert bell["unread_count"] == 1
    await feed.disconnect()


async def test_unknown_or_unreadable_room_closes_with_4404(member: User) -> None:
    for slug in ("no-such-room", "moderators"):
        headers = await sync_to_async(session_headers)(member)
        socket = WebsocketCommunicator(application, f"/ws/chat/{slug}/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}


async def test_anonymous_socket_is_refused(lounge: Room) -> None:
    socket = WebsocketCommunicator(
        application,
        "/ws/chat/lounge/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
    )
    try:
        connected, code = await socket.connect(timeout=5)
        assert (connected, code) == (False, 4401)
    finally:
        await socket.disconnect()


def test_chat_has_its_own_layer_pub_sub_under_redis() -> None:
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from core.channel_layer import PubSubChannelLayer

    assert ChatConsumer.channel_layer_alias == chat.CHAT_LAYER
    layer = get_channel_layer(chat.CHAT_LAYER)
    if settings.REDIS_URL:
        # One PUBLISH per room message, not one write per socket as on the default layer.
        assert isinstance(layer, PubSubChannelLayer)
        assert isinstance(layer, RedisPubSubChannelLayer)
    else:
        assert isinstance(layer, InMemoryChannelLayer)


def test_the_resume_close_code_is_one_the_page_reconnects_on() -> None:
    script = (Path(settings.BASE_DIR) / "static" / "js" / "chat.js").read_text()
    found = re.search(r"var FINAL = \{(.*?)\};", script, re.DOTALL)
    assert found, "chat.js names its final close codes in FINAL"
    final = {int(code) for code in re.findall(r"\b(\d{4}):", found.group(1))}
    assert final == {CLOSE_SESSION_ENDED, CLOSE_BANNED, CLOSE_NO_ROOM}
    assert CLOSE_RESUME not in final
    # What a server may send: 1000 or 3000-4999 (daphne refuses 1011 or 1012 from a consumer).
    assert 3000 <= CLOSE_RESUME <= 4999


async def test_a_dropped_subscription_closes_the_socket_for_a_resume(
    lounge: Room, member: User
) -> None:
    """The process's pub/sub connection drops (its own end here, so no other client of the
    shared server is touched); redis-py reconnects and subscribes again, and the socket,
    which may have missed messages meanwhile, is closed with the code clients resume on."""
    if not settings.REDIS_URL:
        pytest.skip("the in-memory layer has no subscription to lose")
    socket = await chat_socket(member, "lounge")
    loop_layer = get_channel_layer(chat.CHAT_LAYER)._get_layer()
    dropped = 0
    for shard in loop_layer._shards:
        if shard._pubsub is not None and shard._pubsub.connection is not None:
            await shard._pubsub.connection.disconnect()
            dropped += 1
    assert dropped == 1
    assert await socket.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": CLOSE_RESUME,
    }
    # A socket opened afterwards is live and stays open.
    again = await chat_socket(member, "lounge", after=0)
    assert (await again.receive_json_from(timeout=5))["type"] == "resumed"
    await sync_to_async(say)(lounge, member, "still here")
    [live] = await frames_of(again, "chat.message", 1)
    assert live["body"] == "still here"
    await again.disconnect()


async def test_ban_closes_the_persons_open_socket(
    lounge: Room, member: User, moderator: User
) -> None:
    socket = await chat_socket(member, "lounge")
    await sync_to_async(moderation.ban_create)(
        subject=member, moderator=moderator, room=lounge, reason="spam bot"
    )
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x00\x01binary", "invalid"),  # binary frame
        ("", "invalid"),  # empty
        ("not json", "invalid"),
        ("[1, 2]", "invalid"),  # JSON, but not an object
        ("[" * 5000 + "]" * 5000, "invalid"),  # too deep (and too long)
        ('{"a":' * 200 + "1" + "}" * 200, "invalid"),  # deep nesting within the size cap
        ('{"type": 7}', "invalid"),  # wrong type for type
        ('{"type": "post", "body": ["a"]}', "invalid"),  # wrong type for body
        ('{"type": "edit", "id": "1", "body": "x"}', "invalid"),  # id as a string
        ('{"type": "edit", "id": true, "body": "x"}', "invalid"),  # a boolean is not an id
        ('{"type": "read", "id": -1}', "invalid"),
        ('{"type": "report", "id": 999, "reason": "x"}', "not_found"),
        ('{"type": "post", "body": "\\ud800"}', "invalid"),  # lone surrogate
    ],
)
async def test_malformed_frames_get_an_error_frame_never_a_crash(
    lounge: Room, member: User, frame: str | bytes, code: str
) -> None:
    socket = await chat_socket(member, "lounge")
    # Straight to the ASGI input: the communicator's own helper refuses an empty frame.
    key = "bytes" if isinstance(frame, bytes) else "text"
    await socket.send_input({"type": "websocket.receive", key: frame})
    error = await socket.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", code), error
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    assert not await sync_to_async(lounge.messages.exists)()
    await socket.disconnect()


async def test_bad_resume_point_is_an_error_frame(lounge: Room, member: User) -> None:
    from pioneer_platform.asgi import application as app

    headers = await sync_to_async(session_headers)(member)
    socket = WebsocketCommunicator(app, "/ws/chat/lounge/?after=abc", headers=headers)
    assert (await socket.connect(timeout=5))[0]
    assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
    error = await socket.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", "invalid")
    await socket.disconnect()


async def test_a_resume_beyond_the_bound_is_told_to_page_back(
    lounge: Room, moderator: User, monkeypatch: Any
) -> None:
    from community import chat_selectors

    monkeypatch.setattr(chat_selectors, "RESUME_LIMIT", 2)
    for n in range(4):
        await sync_to_async(say)(lounge, moderator, f"m{n}")
    socket = await chat_socket(moderator, "lounge", after=0)
    gap = await socket.receive_json_from(timeout=5)
    assert (gap["type"], gap["before"]) == ("gap", 3)
    assert "/api/v1/rooms/lounge/messages/?before=3" in gap["detail"]
    replay = [await socket.receive_json_from(timeout=5) for _ in range(3)]
    assert [frame.get("id") for frame in replay] == [3, 4, None]
    await socket.disconnect()
