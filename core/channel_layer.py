"""The project's two Redis channel layers.

`RedisChannelLayer` (the default alias: the feed) keeps channels_redis's per-channel queues,
with its blocking pop kept inside redis-py's read timeout. channels_redis waits for a
socket's next message with BZPOPMIN for `brpop_timeout` (5 s) seconds, and redis-py 8
gives up reading a reply after its default socket timeout, also 5 s. When both run out
together the client times out first: the read raises TimeoutError in the consumer, which
closes an idle socket with 1011. Popping for less than the read timeout lets the server
answer first; the loop simply pops again.

`PubSubChannelLayer` (the "chat" alias) is channels_redis's pub/sub layer: a group send is
one PUBLISH whatever the group's size, where the queue layer writes once per member. Its
price is that delivery is fire-and-forget. Each process holds one subscription connection
per Redis server and routes what arrives to its local channels; when that connection
breaks, redis-py reconnects and subscribes again, but whatever was published in between
is gone, and neither library says so. Chat's guarantee (every stored message reaches every
socket, live or on resume) then rests on the sockets learning of the gap, so this subclass
adds exactly that: when the subscription connection fails or is re-established, every
local channel that was subscribed through it receives a `SUBSCRIPTION_LOST` message (the
chat consumer closes with a code on which clients reconnect and resume from their last
id). Channels subscribed after the break (sockets opened since) missed nothing and are not
told.

Two more, for the price of a room's fan-out:

- Direct delivery. Out of the box, a group message reaches each local member through its
  channel's queue: one decode, one queue put, one wake of the member's task and one turn
  of channels' dispatch loop per member, which is most of a fan-out's cost. A channel may
  instead register a coroutine for some message types (`deliver_directly`): such a group
  message is decoded once per process and handed to every registered member in turn by
  one task, in the order messages arrived. Other types, and channels that did not
  register, go through their queue as before. A handler that waits holds up the sockets
  after it in that process, so handlers must not wait on their client: under daphne a
  send never does (Twisted buffers what the socket does not take).
- Blocking publish and ping (`group_send_blocking`, `ping_blocking`; the ping lets a post
  be refused before it is stored while Redis does not answer), for the threads that
  write a message and then announce it: `async_to_sync` would hop to an event loop (and
  outside a server, start a loop, a per-loop layer and a Redis connection per call) only
  to send one PUBLISH.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any

import redis
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _consistent_hash, _wrap_close, create_pool, decode_hosts
from redis.asyncio.client import PubSub, Redis

logger = logging.getLogger(__name__)

__all__ = ["SUBSCRIPTION_LOST", "PubSubChannelLayer", "RedisChannelLayer", "create_pool"]

# Below redis-py's 5 s socket read timeout, with room for a slow round trip.
POP_SECONDS = 2

# The message type a channel receives when its subscriptions lapsed (handler:
# `subscription_lost`).
SUBSCRIPTION_LOST = "subscription.lost"


class RedisChannelLayer(BaseRedisChannelLayer):
    brpop_timeout = POP_SECONDS


class _WatchedPubSub(PubSub):
    """A pub/sub connection that reports the subscriptions it held whenever it fails or
    reconnects (redis-py calls `on_connect` on every reconnection, to subscribe again)."""

    def __init__(self, *args: Any, lapsed: Callable[[Iterable[Any]], None], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._lapsed = lapsed

    async def on_connect(self, connection: Any) -> None:
        self._lapsed(list(self.channels))
        await super().on_connect(connection)

    async def parse_response(self, block: bool = True, timeout: float = 0) -> Any:
        try:
            return await super().parse_response(block=block, timeout=timeout)
        except Exception:
            self._lapsed(list(self.channels))
            raise


DirectHandler = Callable[[dict[str, Any]], Awaitable[None]]


class _Shard(RedisSingleShardConnection):
    channel_layer: _LoopLayer
    _redis: Redis | None
    _pubsub: PubSub | None

    def _receive_message(self, message: dict[str, Any] | None) -> None:
        layer = self.channel_layer
        members = layer.groups.get(_text(message["channel"])) if message and layer.direct else None
        if not members or message is None:
            super()._receive_message(message)
            return
        data, event, handlers = message["data"], None, []
        for channel in members:
            direct = layer.direct.get(channel)
            if direct is not None:
                if event is None:
                    event = layer.channel_layer.deserialize(data)
                if event["type"] in direct[0]:
                    handlers.append(direct[1])
                    continue
            queue = layer.channels.get(channel)
            if queue is not None:
                queue.put_nowait(data)
        if handlers:
            assert event is not None
            layer.hand_over(event, handlers)

    def _ensure_redis(self) -> None:
        if self._redis is None:
            pool = create_pool(self.host)
            self._redis = Redis(connection_pool=pool)
            self._pubsub = _WatchedPubSub(pool, lapsed=self.channel_layer.subscriptions_lapsed)


def _text(name: str | bytes) -> str:
    return name.decode() if isinstance(name, bytes) else name


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(hosts, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]
        # channel name -> (the message types it takes directly, its handler)
        self.direct: dict[str, tuple[Collection[str], DirectHandler]] = {}
        self._outbox: asyncio.Queue[tuple[dict[str, Any], list[DirectHandler]]] = asyncio.Queue()
        self._courier: asyncio.Task[None] | None = None

    def hand_over(self, event: dict[str, Any], handlers: list[DirectHandler]) -> None:
        self._outbox.put_nowait((event, handlers))
        if self._courier is None or self._courier.done():
            self._courier = asyncio.get_running_loop().create_task(self._carry())

    async def _carry(self) -> None:
        """One task hands each message to its members in turn, in arrival order: a socket
        never receives a room's messages out of order, even when a send has to wait."""
        while True:
            event, handlers = await self._outbox.get()
            for handler in handlers:
                try:
                    await handler(event)
                except Exception:
                    logger.exception("direct delivery failed type=%s", event.get("type"))

    async def flush(self) -> None:
        if self._courier is not None:
            self._courier.cancel()
            self._courier = None
        self.direct = {}
        await super().flush()

    def subscriptions_lapsed(self, names: Iterable[Any]) -> None:
        """Tell the local channels behind these subscriptions (channels or groups), once
        each, as `_receive_message` would route a message published to them."""
        lost = self.channel_layer.serialize({"type": SUBSCRIPTION_LOST})
        told: set[str] = set()
        for name in names:
            name = name.decode() if isinstance(name, bytes) else name
            for channel in (name, *self.groups.get(name, ())):
                if channel in self.channels and channel not in told:
                    told.add(channel)
                    self.channels[channel].put_nowait(lost)


class PubSubChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self) -> _LoopLayer:
        loop = asyncio.get_running_loop()
        if loop not in self._layers:
            self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        layer: _LoopLayer = self._layers[loop]
        return layer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._blocking_clients: dict[int, redis.Redis] = {}
        self._blocking_lock = threading.Lock()
        # As the per-loop layers compute them, once: every post asks.
        self._hosts = decode_hosts(kwargs.get("hosts", args[0] if args else None))
        self._group_prefix = f"{kwargs.get('prefix', 'asgi')}__group__"

    def deliver_directly(
        self, channel: str, types: Collection[str], handler: DirectHandler
    ) -> None:
        """Group messages of `types` for `channel` (a channel of this process) go straight
        to `handler`, not through the channel's queue, until `stop_delivering_directly`."""
        self._get_layer().direct[channel] = (frozenset(types), handler)

    def stop_delivering_directly(self, channel: str) -> None:
        self._get_layer().direct.pop(channel, None)

    def _blocking_client(self, group: str) -> tuple[redis.Redis, str]:
        """A thread-safe blocking client for the server that carries `group`, and the
        pub/sub channel name of the group (both as the per-loop layers compute them)."""
        name = self._group_prefix + group
        index = _consistent_hash(name, len(self._hosts))
        with self._blocking_lock:
            client = self._blocking_clients.get(index)
            if client is None:
                host = dict(self._hosts[index])
                # What the URL says wins; without it, a dead server is noticed in seconds.
                defaults = {"socket_connect_timeout": 1, "socket_timeout": 2}
                if "address" in host:
                    pool = redis.ConnectionPool.from_url(host.pop("address"), **defaults, **host)
                else:
                    pool = redis.ConnectionPool(**{**defaults, **host})
                client = self._blocking_clients[index] = redis.Redis(connection_pool=pool)
        return client, name

    def group_send_blocking(self, group: str, message: dict[str, Any]) -> None:
        client, name = self._blocking_client(group)
        client.publish(name, self.serialize(message))

    def ping_blocking(self, group: str) -> None:
        """Raise unless the Redis server that carries `group` answers."""
        client, _ = self._blocking_client(group)
        client.ping()
