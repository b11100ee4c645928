from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache

from accounts.realtime import can_subscribe, topic_group
from accounts.services.sockets import (
    CLOSE_SESSION_ENDED,
    PRESENCE_SECONDS,
    feed_group,
    presence_key,
    session_group,
)
from core import strict_json

# Close codes in the 4000 range are ours; 4401 mirrors HTTP 401 for clients.
CLOSE_UNAUTHENTICATED = CLOSE_SESSION_ENDED
# RFC 6455 7.4.1: "received a type of data it cannot accept (e.g., an endpoint that
# understands only text data MAY send this if it receives a binary message)". A binary
# frame is a client bug, not a message to answer, so the protocol's own answer fits.

# The client sends small control messages (`ping`, `subscribe`, `unsubscribe`) only: the
# cap keeps a frame from costing more than that to parse. Depth, NaN and text PostgreSQL
# cannot store are the platform's one JSON rule (core.strict_json).
MAX_FRAME_CHARS = 4096


def _decode(text: str) -> dict[str, Any] | str:
    """The frame's JSON object, or the reason it is refused."""
    if len(text) > MAX_FRAME_CHARS:
        return f"Frames are limited to {MAX_FRAME_CHARS} characters."
    try:
        content = strict_json.loads(text)
    except strict_json.InvalidJSON:
        return "Send one JSON object per frame."
    if not isinstance(content, dict):
        return "Send one JSON object per frame."
    return content


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/feed/`: the events `notify_user` sends to the connected person, and nobody else.

    Whatever a client sends, binary frames included, the socket answers an error frame and
    stays open; a crash would close it with 1011 and log a traceback per hostile frame.
    (Closing with 1003 is no answer either: daphne lets a server close only with 1000 or
    3000-4999.) Signing out closes the session's sockets, a password change all of the
    person's (accounts.signals).
    """

    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        self.topics: set[str] = set()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self._join(feed_group(user.pk))
        session = self.scope.get("session")
        if session is not None and session.session_key:
            await self._join(session_group(session.session_key))
        await self.accept()
        await self._seen()
        await self.send_json({"type": "hello"})

    async def _seen(self) -> None:
        # Presence for the notification e-mails: a person with a page open is not mailed
        # what their bell already shows (accounts.services.notifications.notification_email).
        await cache.aset(presence_key(self.scope["user"].pk), 1, timeout=PRESENCE_SECONDS)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def _leave_all(self) -> None:
        for topic in self.topics:
            await self.channel_layer.group_discard(topic_group(topic), self.channel_name)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.topics = set()
        self.groups_joined = []

    async def disconnect(self, code: int) -> None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            # Away at once; another page still open marks the person present again at its
            # next ping, so at worst they get a mail in those seconds, never miss one.
            await cache.adelete(presence_key(user.pk))
        await self._leave_all()

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if text_data is None:
            await self._error("Send text frames: one JSON object each.")
            return
        content = _decode(text_data)
        if isinstance(content, str):
            await self._error(content)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "ping":
            # Keeps proxies from closing an idle socket.
            await self._seen()
            await self.send_json({"type": "pong"})
        elif kind == "subscribe" or kind == "unsubscribe":
            await self._change_subscription(kind, content.get("topic"))
        else:
            await self._error("Unknown message type.")

    async def _error(self, detail: str, topic: str | None = None) -> None:
        # The topic is echoed only once it is known to be one of ours: a client's arbitrary
        # value (a lone surrogate, a megabyte) never goes back out.
        await self.send_json(
            {"type": "error", "detail": detail, **({"topic": topic} if topic else {})}
        )

    async def _change_subscription(self, kind: str, topic: Any) -> None:
        try:
            group = topic_group(topic) if isinstance(topic, str) else None
        except ValueError:
            group = None
        if group is None:
            await self._error("Not a topic.")
            return
        if kind == "unsubscribe":
            if topic in self.topics:
                self.topics.discard(topic)
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_json({"type": "unsubscribed", "topic": topic})
            return
        if not await database_sync_to_async(can_subscribe)(self.scope["user"], topic):
            await self._error("Not allowed.", topic)
            return
        self.topics.add(topic)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed", "topic": topic})

    async def feed_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def feed_close(self, message: dict[str, Any]) -> None:
        # Leave every group first: nothing sent after this reaches the closing socket.
        await self._leave_all()
        await self.close(code=int(message["code"]))
