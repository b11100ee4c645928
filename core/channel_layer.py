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
id). It also gives the layer `ping`, so a post can be refused before it is stored while
Redis does not answer. Channels subscribed after the break (sockets opened since) missed
nothing and are not told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close, create_pool, decode_hosts
from redis.asyncio.client import PubSub, Redis

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


class _Shard(RedisSingleShardConnection):
    _redis: Redis | None
    _pubsub: PubSub | None

    def _ensure_redis(self) -> None:
        if self._redis is None:
            pool = create_pool(self.host)
            self._redis = Redis(connection_pool=pool)
            self._pubsub = _WatchedPubSub(pool, lapsed=self.channel_layer.subscriptions_lapsed)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(hosts, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

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

    async def ping(self, group: str) -> None:
        """Raise unless the Redis server that carries `group` answers."""
        layer = self._get_layer()
        shard = layer._get_shard(layer._get_group_channel_name(group))
        shard._ensure_redis()
        await shard._redis.ping()
