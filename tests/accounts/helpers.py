"""Opening `/ws/feed/` as a signed-in person, for the tests of every app that sends events."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from pioneer_platform.asgi import application


def cookie_headers(
    client: Client, origin: bytes = b"http://localhost"
) -> list[tuple[bytes, bytes]]:
    """What a browser on `origin` sends with the socket's handshake: its session cookie,
    the page's origin and the host it connects to."""
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        (b"origin", origin),
        (b"host", b"localhost"),
    ]


def session_headers(user: Any, origin: bytes = b"http://localhost") -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return cookie_headers(client, origin)


async def connected(user: Any, client: Client | None = None) -> WebsocketCommunicator:
    if client is None:
        headers = await sync_to_async(session_headers)(user)
    else:
        headers = cookie_headers(client)
    socket = WebsocketCommunicator(application, "/ws/feed/", headers=headers)
    ok, _ = await socket.connect()
    assert ok
    assert await socket.receive_json_from() == {"type": "hello"}
    return socket
