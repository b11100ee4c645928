"""allauth's rate limits answer 429 Too Many Requests with `Retry-After`, pages and API alike.

allauth answers a limit on a whole view (e.g. `login`, 30/m/ip) with 429 but no
`Retry-After`, and a limit met inside a form (too many failed logins, too many wrong codes)
with a 400 form error, which a client cannot tell from a wrong password. The adapter turns
the second kind into the first (`AccountAdapter.validation_error`), and
`retry_after_on_rate_limits` adds the header to every 429 that lacks one.

How long to wait is read from the limits' own counters: allauth keeps, per limit, the times
of the attempts inside its window, newest first, so an exhausted limit frees up when the
attempt `amount` places from the newest leaves the window. A limit counted under a key the
caller does not know (an e-mail address, a user id of a pending login) cannot be read; the
answer then falls back to the longest window that could apply, which is never too short.
"""

from __future__ import annotations

import math
import time
from typing import Any

from allauth.account import app_settings
from allauth.core import ratelimit
from allauth.core.internal.ratelimit import Rate, get_cache_key, get_rates
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

APP = "allauth.account"
# Form errors that mean "a rate limit was met", not "the input was wrong".
RATE_LIMIT_ERROR_CODES = frozenset({"too_many_login_attempts", "rate_limited"})


def _readable(rate: Rate, request: HttpRequest, key: str | None) -> bool:
    if rate.per == "ip":
        return True
    if rate.per == "key":
        return key is not None
    return bool(getattr(request, "user", None) and request.user.is_authenticated)


def _frees_at(request: HttpRequest, action: str, rate: Rate, key: str | None, now: float) -> float:
    """When this limit lets one more attempt through (`now` when it is not exhausted)."""
    cache_key = get_cache_key(request, app=APP, action=action, rate=rate, key=key)
    history = [stamp for stamp in cache.get(cache_key, []) if stamp > now - rate.duration]
    if len(history) < rate.amount:
        return now
    return history[rate.amount - 1] + rate.duration


def retry_after(request: HttpRequest, *, action: str | None = None, key: str | None = None) -> int:
    """Whole seconds until the client may try again; every action's limits when not named."""
    now = time.time()
    actions = [action] if action else list(app_settings.RATE_LIMITS)
    waits: list[float] = []
    unreadable: list[float] = []
    windows: list[float] = []
    for name in actions:
        for rate in get_rates(app=APP, action=name):
            windows.append(rate.duration)
            if _readable(rate, request, key):
                waits.append(_frees_at(request, name, rate, key, now) - now)
            else:
                unreadable.append(rate.duration)
    wait = max(waits, default=0.0)
    if wait <= 0:
        # The exhausted limit is one we could not read (or allauth gave up waiting for its
        # lock): the longest window that could apply is an upper bound.
        wait = max(unreadable or windows or [60.0])
    return max(1, math.ceil(wait))


def too_many_requests(
    request: HttpRequest, *, action: str | None = None, key: str | None = None
) -> HttpResponse:
    """allauth's own 429 (JSON for headless clients, our 429 page otherwise) plus the wait."""
    response = ratelimit.respond_429(request)
    response["Retry-After"] = str(retry_after(request, action=action, key=key))
    return response


@sync_and_async_middleware
def retry_after_on_rate_limits(get_response: Any) -> Any:
    """Adds `Retry-After` to 429 answers that came without one (allauth's view limits)."""

    def add_header(request: HttpRequest, response: Any) -> Any:
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(retry_after(request))
        return response

    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> Any:
            response = await get_response(request)
            if response.status_code == 429 and not response.has_header("Retry-After"):
                # The limits live in the cache, which is synchronous here.
                return await sync_to_async(add_header)(request, response)
            return response

        return async_middleware

    def middleware(request: HttpRequest) -> Any:
        return add_header(request, get_response(request))

    return middleware
