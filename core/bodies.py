"""Request guards that must hold before any view reads the body.

- A cap on the whole request body, checked on `Content-Length` before the body is read:
  Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, so without it a
  multipart body of any size is parsed into temporary files before a view can look at the
  size of the one file it wanted. `RequestBodyLimit` holds the same cap one layer further
  out, in ASGI, where Django would otherwise receive and spool the whole body first.
- allauth's headless views decode their JSON bodies themselves, outside DRF, with
  `json.loads`: `headless_json_guard` gives them the platform's one JSON rule first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core import strict_json
from core.views import payload_too_large

HEADLESS_PREFIX = "/_allauth/"

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


def body_limit(content_type: str) -> int:
    """The most a request body may hold. A multipart form carries at most a document photo
    and a few fields; anything else may be as large as the largest body an endpoint
    streams (an item upload), and the endpoint applies its own smaller cap."""
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return int(settings.REQUEST_MAX_MULTIPART_BYTES)
    return int(settings.REQUEST_MAX_BYTES)


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


def request_body_limit(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """413 on a declared length over the cap, before anything reads the body. A body sent
    without a declared length is empty to Django under WSGI, and counted against the cap
    by `RequestBodyLimit` under ASGI."""

    def middleware(request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            limit = body_limit(request.META.get("CONTENT_TYPE", ""))
            if int(length) > limit:
                return payload_too_large(request, too_large_detail(limit))
        return get_response(request)

    return middleware


class RequestBodyLimit:
    """ASGI middleware with the same cap. Django's ASGI handler receives the whole body into
    a temporary file before any middleware runs; here a declared length over the cap is
    passed on with no body at all (the Django middleware above answers 413 in the page's
    or the API's form), and a body without a declared length is answered 413 here as soon
    as what arrived passes the cap. Under a server that hands bodies over as they arrive
    (uvicorn, hypercorn) the rest is never received. daphne receives the whole body before
    calling the application; `pioneer_platform.http_server` makes it refuse a declared
    length over the cap as soon as the headers are in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = body_limit(headers.get(b"content-type", b"").decode("latin-1"))
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self.app(scope, _empty_body(receive), send)
            return
        await self.app(scope, _counted(receive, send, limit), send)


def _empty_body(receive: Receive) -> Receive:
    """The first message says the body is empty. Django then listens for a disconnect while
    it answers; what the server would hand over next is the body we refuse to take, so
    that listener waits until Django, having answered, cancels it."""
    started = False

    async def wrapped() -> Message:
        nonlocal started
        if not started:
            started = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError("unreachable: Django cancels its listener after answering")

    return wrapped


def _counted(receive: Receive, send: Send, limit: int) -> Receive:
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                body = JsonResponse({"detail": too_large_detail(limit)}).content
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                # Django stops reading and answers nothing more.
                return {"type": "http.disconnect"}
        return message

    return wrapped


def headless_json_guard(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """allauth headless answers a body it cannot decode with an empty 400, and one nested
    100,000 deep with a 500. Here every body it would decode goes through
    `core.strict_json` first, and a refusal is answered in allauth's own error shape, so
    its clients read it like any other input error."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(HEADLESS_PREFIX) and request.method != "GET" and request.body:
            try:
                data = strict_json.loads(request.body)
            except strict_json.InvalidJSON as error:
                return _headless_error(error.message, error.field or "non_field_errors")
            if not isinstance(data, dict):
                return _headless_error("Send a JSON object.", "non_field_errors")
        return get_response(request)

    return middleware


def _headless_error(message: str, field: str) -> JsonResponse:
    error = {"message": message, "code": "invalid"}
    if field != "non_field_errors":
        error["param"] = field
    return JsonResponse({"status": 400, "errors": [error]}, status=400)
