"""Helpers shared by the community tests: posting, opening `/ws/chat/<slug>/`, and racing
threads that each hold their own database connection."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection

from accounts.models import User
from community.models import Message, Room
from community.services import chat
from tests.accounts.helpers import session_headers


def say(room: Room, author: User, body: str, now: datetime | None = None) -> Message:
    return chat.message_post(room=room, author=author, body=body, now=now)


async def chat_socket(
    user: User, slug: str, after: int | None = None, *, expect_hello: bool = True
) -> WebsocketCommunicator:
    """A `/ws/chat/<slug>/` socket of `user` through the project's ASGI stack, past its
    hello (which it returns in `socket.hello`)."""
    from pioneer_platform.asgi import application

    headers = await sync_to_async(session_headers)(user)
    path = f"/ws/chat/{slug}/" + (f"?after={after}" if after is not None else "")
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await socket.connect(timeout=5)
    assert connected, code
    if expect_hello:
        hello = await socket.receive_json_from(timeout=5)
        assert hello["type"] == "hello", hello
        socket.hello = hello  # type: ignore[attr-defined]
    return socket


async def refused_code(user: User, slug: str) -> int | None:
    from pioneer_platform.asgi import application

    headers = await sync_to_async(session_headers)(user)
    socket = WebsocketCommunicator(application, f"/ws/chat/{slug}/", headers=headers)
    try:
        connected, code = await socket.connect(timeout=5)
        assert not connected
        return code
    finally:
        # A server tells a refused application instance that the socket is gone; the
        # communicator does not, so the test does, or the instance outlives the test.
        await socket.disconnect()


async def frames_of(
    socket: WebsocketCommunicator, kind: str, count: int, timeout: float = 5
) -> list[dict[str, Any]]:
    """The next `count` frames of type `kind`, skipping others (a deadline, not a sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    found: list[dict[str, Any]] = []
    while len(found) < count:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"only {len(found)} of {count} {kind} frames within {timeout}s")
        frame = await socket.receive_json_from(timeout=left)
        if frame.get("type") == kind:
            found.append(frame)
    return found


def race(items: list[Any], work: Callable[[Any], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run `work` for every item at once, each in its own thread and connection."""
    barrier = threading.Barrier(len(items))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(item: Any) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = work(item)
            with lock:
                results.append(outcome)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors
