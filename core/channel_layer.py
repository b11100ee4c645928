"""The Redis channel layer, with its blocking pop kept inside redis-py's read timeout.

channels_redis waits for a socket's next message with BZPOPMIN for `brpop_timeout` (5 s)
seconds, and redis-py 8 gives up reading a reply after its default socket timeout, also
5 s. When both run out together the client times out first: the read raises TimeoutError
in the consumer, which closes an idle socket with 1011. Popping for less than the read
timeout lets the server answer first; the loop simply pops again.
"""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from channels_redis.utils import create_pool

__all__ = ["RedisChannelLayer", "create_pool"]

# Below redis-py's 5 s socket read timeout, with room for a slow round trip.
POP_SECONDS = 2


class RedisChannelLayer(BaseRedisChannelLayer):
    brpop_timeout = POP_SECONDS
