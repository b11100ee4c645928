"""`/ws/chat/<slug>/`: one room, live. As thin as the feed's consumer: it parses frames,
asks `community.chat_selectors` and calls `community.services`, which check membership,
verification, mutes and limits on every post.

On connect the client may give `?after=<id>`, the last message id it saw; it is sent what
it missed (at most `RESUME_LIMIT`; beyond that a `gap` frame says where to page back over
REST), then live `chat.message`, `chat.edit` and `chat.delete` events. Every refusal is an
`error` frame with a `code` and the reason; the socket stays open. An unknown room, or one
the person may not read, is closed with 4404 after the handshake, so browsers see the code.

Live events travel over the "chat" channel layer (Redis pub/sub under Redis): when this
process's subscription breaks, events published meanwhile are lost to it, so the layer
says so and the socket closes with 4503, on which clients reconnect and resume.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.services.sockets import CLOSE_SESSION_ENDED
from community import chat_selectors as selectors
from community.models import Room
from community.services import chat, moderation
from core import strict_json
from core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RetryLater

logger = logging.getLogger(__name__)

CLOSE_NO_ROOM = 4404
# Live delivery to this socket broke (not final: the client reconnects with `?after=`).
# Servers may send only 1000 or 3000-4999, so not 1011/1012.
CLOSE_RESUME = 4503
# A message is at most 2000 characters; JSON escapes can make each one six.
MAX_FRAME_CHARS = 16_384
MAX_CLIENT_ID = 64


def _decode(text: str | None, data: bytes | None) -> dict[str, Any] | str:
    """The frame's JSON object, or the reason it is refused."""
    if text is None:
        return "Send text frames: one JSON object each."
    if len(text) > MAX_FRAME_CHARS:
        return f"Frames are limited to {MAX_FRAME_CHARS} characters."
    try:
        content = strict_json.loads(text)
    except strict_json.InvalidJSON:
        return "Send one JSON object per frame."
    if not isinstance(content, dict):
        return "Send one JSON object per frame."
    return content


def _after(query_string: bytes) -> int | str | None:
    try:
        values = parse_qs(query_string.decode("latin-1")).get("after")
    except ValueError:
        return "after must be a message id."
    if not values:
        return None
    text = values[0]
    if not text.isdigit() or len(text) > 18:
        return "after must be a message id."
    return int(text)


def _code(error: DomainError) -> str:
    if isinstance(error, chat.Muted):
        return "muted"
    if isinstance(error, chat.LiveChatDown):
        return "unavailable"
    if isinstance(error, RetryLater):
        return "rate_limited"
    if isinstance(error, Forbidden):
        return "not_allowed"
    if isinstance(error, NotFound):
        return "not_found"
    if isinstance(error, Conflict):
        return "conflict"
    return "invalid"


def _resume(room: Room, after: int) -> tuple[list[dict[str, Any]], int | None]:
    missed = selectors.missed_since(room=room, after=after)
    for message in missed.messages:
        message.room = room
    return [chat.message_event(message) for message in missed.messages], missed.older_before


class ChatConsumer(AsyncJsonWebsocketConsumer):
    channel_layer_alias = chat.CHAT_LAYER
    room: Room | None = None
    # Messages up to this id were sent from the database on connect; the same ones arriving
    # live (posted while the backlog was read) are not sent twice.
    replayed_up_to = 0
    lost = False
    # Until connect has sent the hello and the backlog, live events are held back here,
    # so they follow the backlog (events handed over directly can arrive meanwhile).
    live = False
    held: list[dict[str, Any]]
    ended = False

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.held = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_SESSION_ENDED)
            return
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            self.room = await database_sync_to_async(selectors.room_for_reader)(
                user=user, slug=slug
            )
        except NotFound:
            await self.accept()
            await self.close(code=CLOSE_NO_ROOM)
            return
        room = self.room
        # A room's events skip this socket's queue and dispatch loop (core.channel_layer):
        # under Redis, one task per process hands each event to every socket of the room.
        deliver_directly = getattr(self.channel_layer, "deliver_directly", None)
        if deliver_directly is not None:
            deliver_directly(self.channel_name, ("chat.event",), self.chat_event)
        # Join before reading the backlog: a message committed in between is then either in
        # the backlog or arrives live, never neither.
        for group in (room.group, chat.member_group(room, user.pk)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.send_json(
            {
                "type": "hello",
                "room": room.slug,
                "title": room.title,
                "last_id": room.last_seq,
                "slow_mode_seconds": room.slow_mode_seconds,
            }
        )
        after = _after(self.scope.get("query_string", b""))
        if isinstance(after, str):
            await self._error("invalid", after)
        elif after is not None:
            await self._replay(after)
        await self._go_live()

    async def _go_live(self) -> None:
        """Send what was held back, then let live events through as they come."""
        while self.held:
            held, self.held = self.held, []
            for event in held:
                await self._send_event(event)
        self.live = True

    async def _replay(self, after: int) -> None:
        assert self.room is not None
        events, older_before = await database_sync_to_async(_resume)(self.room, after)
        if older_before is not None:
            await self.send_json(
                {
                    "type": "gap",
                    "before": older_before,
                    "detail": (
                        "More messages were missed than a socket resends: page back with "
                        f"GET /api/v1/rooms/{self.room.slug}/messages/?before={older_before}."
                    ),
                }
            )
        for event in events:
            await self.send_json(event)
        if events:
            self.replayed_up_to = events[-1]["id"]
        await self.send_json({"type": "resumed", "last_id": self.replayed_up_to or after})

    async def disconnect(self, code: int) -> None:
        self.ended = True
        stop = getattr(self.channel_layer, "stop_delivering_directly", None)
        if stop is not None:
            stop(self.channel_name)
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as error:
                # Redis is down (the socket was just closed for that): the layer forgot the
                # member locally before asking Redis, so nothing is left that would reach it.
                logger.warning("chat group_discard failed group=%s: %r", group, error)
        self.groups_joined = []

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        content = _decode(text_data, bytes_data)
        if isinstance(content, str):
            await self._error("invalid", content)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type")
        client_id = content.get("client_id")
        if not (isinstance(client_id, str) and 0 < len(client_id) <= MAX_CLIENT_ID):
            client_id = None
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        action = {
            "post": self._post,
            "edit": self._edit,
            "delete": self._delete,
            "read": self._read,
            "report": self._report,
        }.get(kind if isinstance(kind, str) else "")
        if action is None:
            await self._error("invalid", "Unknown message type.", client_id)
            return
        # The answer goes out before the room's events that arrive meanwhile: a poster hears
        # "posted" before their own message comes back live, as when events queued.
        self.live = False
        try:
            try:
                answer = await database_sync_to_async(action)(content)
            except DomainError as error:
                await self._error(_code(error), error.message, client_id, error)
            else:
                await self.send_json({**answer, **({"client_id": client_id} if client_id else {})})
        finally:
            if not self.ended:
                await self._go_live()

    # The actions run in a worker thread (database_sync_to_async) and return the ack.

    def _message(self, content: dict[str, Any]) -> Any:
        assert self.room is not None
        number = content.get("id")
        if not isinstance(number, int) or isinstance(number, bool):
            raise InvalidInput("id must be a message id (an integer).", field="id")
        return selectors.message_in_room(room=self.room, seq=number)

    def _post(self, content: dict[str, Any]) -> dict[str, Any]:
        assert self.room is not None
        message = chat.message_post(
            room=self.room, author=self.scope["user"], body=content.get("body")
        )
        return {"type": "posted", "id": message.seq}

    def _edit(self, content: dict[str, Any]) -> dict[str, Any]:
        message = self._message(content)
        chat.message_edit(message=message, editor=self.scope["user"], body=content.get("body"))
        return {"type": "edited", "id": message.seq}

    def _delete(self, content: dict[str, Any]) -> dict[str, Any]:
        message = self._message(content)
        chat.message_delete(message=message, actor=self.scope["user"])
        return {"type": "deleted", "id": message.seq}

    def _read(self, content: dict[str, Any]) -> dict[str, Any]:
        assert self.room is not None
        chat.room_mark_read(room=self.room, user=self.scope["user"], seq=content.get("id"))
        return {"type": "read", "id": content["id"]}

    def _report(self, content: dict[str, Any]) -> dict[str, Any]:
        message = self._message(content)
        moderation.report_create(
            message=message, reporter=self.scope["user"], reason=content.get("reason")
        )
        return {"type": "reported", "id": message.seq}

    async def _error(
        self,
        code: str,
        detail: str,
        client_id: str | None = None,
        error: DomainError | None = None,
    ) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
        if isinstance(error, RetryLater):
            frame["retry_after"] = error.retry_after
        if isinstance(error, chat.Muted):
            frame["until"] = error.until.isoformat().replace("+00:00", "Z")
            frame["reason"] = error.reason
        if error is not None and error.field:
            frame["field"] = error.field
        if client_id:
            frame["client_id"] = client_id
        await self.send_json(frame)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # A room's events go straight to the socket. channels' dispatch first closes stale
        # database connections, a hop to the one sync thread per socket and event (most of
        # a fan-out's cost); chat_event uses no database, and the actions that do run
        # through database_sync_to_async, which closes stale connections around each call.
        if message["type"] == "chat.event":
            await self.chat_event(message)
        else:
            await super().dispatch(message)

    async def chat_event(self, message: dict[str, Any]) -> None:
        """An event of the room, as JSON text (encoded once by the sender for all sockets)."""
        if self.ended or self.lost:
            return
        if not self.live:
            self.held.append(message)
            return
        await self._send_event(message)

    async def _send_event(self, message: dict[str, Any]) -> None:
        if message["kind"] == "chat.message" and message["id"] <= self.replayed_up_to:
            return
        await self.send(text_data=message["text"])

    async def subscription_lost(self, message: dict[str, Any]) -> None:
        """The layer's subscription broke (core.channel_layer): events may have been
        missed, so the client reconnects and resumes from the last id it saw. Told once
        per subscription the socket had: the first closes it."""
        if not self.lost:
            self.lost = True
            await self.close(code=CLOSE_RESUME)

    async def chat_close(self, message: dict[str, Any]) -> None:
        await self.disconnect(int(message["code"]))
        await self.close(code=int(message["code"]))
