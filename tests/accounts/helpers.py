"""Opening `/ws/feed/` as a signed-in person, and checking what a notification tells, for
the tests of every app that sends events."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import Profile
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


async def next_event(
    socket: WebsocketCommunicator, kind: str, timeout: float = 5
) -> dict[str, Any]:
    """The next event of type `kind` on `socket`, skipping others (a deadline, not a sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"no {kind} event within {timeout}s")
        event = await socket.receive_json_from(timeout=left)
        if event.get("type") == kind:
            return event


def identity_of(person: Any) -> list[str]:
    """What would tell someone else who `person` is: e-mail, public id, display name."""
    name = Profile.objects.filter(user=person).values_list("display_name", flat=True).first()
    return [part for part in (person.email, str(person.public_id), name) if part]


def named(person: Any, display_name: str) -> Any:
    Profile.objects.update_or_create(user=person, defaults={"display_name": display_name})
    return person
