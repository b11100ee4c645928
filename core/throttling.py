"""The API's rate limits as counters per time window: one cache round trip per request.

DRF's `SimpleRateThrottle` keeps the time of every request inside the window in one cache
value, and reads and rewrites the whole list on each request: at the user rate (600 a
minute) a busy client's list holds 600 floats, pickled and sent twice per request. A
counter per window answers the same question (more than N in this window?) with one
INCR. The price is the fixed window's edge: a client may send up to 2N across a window
boundary, which is still a bound against floods; a refused client is told when the window
ends (`Retry-After`).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


def count_up(key: str, *, ttl: int) -> int:
    """Add one to the counter under `key` and return its new value; a counter that did not
    exist starts at 0 and expires `ttl` seconds after it was created. Rate limits name a
    window in the key; in-flight counts (`core.images`) count back down with `decr`."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        # Django's `incr` asks EXISTS first (two round trips); SET NX and INCR in one
        # pipeline create, expire and count in one. The cache stores integers as plain
        # Redis integers, so the value stays readable through `cache.get`.
        client = cache._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        pipeline = client.pipeline(transaction=False)
        pipeline.set(full_key, 0, ex=ttl, nx=True)
        pipeline.incr(full_key)
        return int(pipeline.execute()[1])
    cache.add(key, 0, ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls: this is the window's first event
        cache.add(key, 1, ttl)
        return 1


class WindowRateThrottle(SimpleRateThrottle):
    """DRF's rate throttle with a counter per window in place of its request history."""

    # Set by SimpleRateThrottle.__init__ from the rate; its stubs leave them out.
    num_requests: int | None
    duration: int | None

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends_in = (window + 1) * self.duration - now
        count = count_up(f"{key}:{window}", ttl=self.duration + 1)
        return count <= self.num_requests

    def wait(self) -> float:
        return self.window_ends_in


class AnonWindowRateThrottle(WindowRateThrottle, AnonRateThrottle):
    """Requests without a session, per client address (scope `anon`)."""


class UserWindowRateThrottle(WindowRateThrottle, UserRateThrottle):
    """Requests with a session, per person (scope `user`)."""
