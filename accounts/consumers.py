from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.realtime import can_subscribe, topic_group
from accounts.services import feed_group

# Close codes in the 4000 range are ours; 4401 mirrors HTTP 401 for clients.
CLOSE_UNAUTHENTICATED = 4401


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/feed/`: the events `notify_user` sends to the connected person, and nobody else."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = feed_group(user.pk)
        self.topics: set[str] = set()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        for topic in self.topics:
            await self.channel_layer.group_discard(topic_group(topic), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            # Keeps proxies from closing an idle socket.
            await self.send_json({"type": "pong"})
        elif kind in {"subscribe", "unsubscribe"}:
            await self._change_subscription(kind, content.get("topic"))
        else:
            await self.send_json({"type": "error", "detail": "Unknown message type."})

    async def _change_subscription(self, kind: str, topic: Any) -> None:
        user = self.scope["user"]
        if kind == "unsubscribe":
            if topic in self.topics:
                self.topics.discard(topic)
                await self.channel_layer.group_discard(topic_group(topic), self.channel_name)
            await self.send_json({"type": "unsubscribed", "topic": topic})
            return
        if not await database_sync_to_async(can_subscribe)(user, topic):
            await self.send_json({"type": "error", "topic": topic, "detail": "Not allowed."})
            return
        self.topics.add(topic)
        await self.channel_layer.group_add(topic_group(topic), self.channel_name)
        await self.send_json({"type": "subscribed", "topic": topic})

    async def decode_json(self, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def feed_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
