"""A chat socket whose reader falls behind, through daphne as `make run` serves it.

The server writes a frame to the socket at once when nothing of that socket waits to be
written (`pioneer_platform.http_server`); what the kernel does not take waits in Twisted's
buffer, and so does every later frame. A reader with a tiny receive window, reading nothing
until megabytes were posted, still gets every message, once, in order."""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.roles import Role
from community.services import chat
from tests.integration.helpers import Server

pytestmark = pytest.mark.django_db(transaction=True)

# JSON escapes each of these characters as six bytes: about 23 kB a frame, 5.7 MB in all,
# more than the kernel buffers of both ends hold.
MESSAGES = 250
BODY = "é" * 1900


class WebSocketReader:
    """The client end of one WebSocket: the upgrade, then the server's unmasked frames."""

    def __init__(self, port: int, path: str, cookie: str) -> None:
        self.sock = socket.socket()
        # A receive window of a few kilobytes: the server's writes soon stop fitting.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        self.sock.settimeout(15)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Origin: http://127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        assert b" 101 " in head.split(b"\r\n", 1)[0], head

    def _more(self) -> None:
        data = self.sock.recv(65536)
        assert data, "the server closed the connection"
        self.buffer += data

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def frame(self) -> dict[str, Any]:
        first, second = self._take(2)
        assert first & 0x0F == 0x1, f"not a text frame: opcode {first & 0x0F}"
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(self._take(2), "big")
        elif size == 127:
            size = int.from_bytes(self._take(8), "big")
        frame: dict[str, Any] = json.loads(self._take(size))
        return frame

    def close(self) -> None:
        self.sock.close()


def test_a_slow_reader_gets_every_message_once_in_order(
    asgi_server: Callable[..., Server], user_factory: Any
) -> None:
    server = asgi_server()
    lounge = chat.standing_rooms_open()["lounge"]
    reader = user_factory(roles=[Role.PIONEER], verified=True)
    poster = user_factory(roles=[Role.MODERATOR])
    browser = Client()
    browser.force_login(reader)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    client = WebSocketReader(server.port, "/ws/chat/lounge/", cookie)
    try:
        assert client.frame()["type"] == "hello"
        for n in range(MESSAGES):
            chat.message_post(room=lounge, author=poster, body=f"{n} {BODY}")
        heard = [client.frame() for _ in range(MESSAGES)]
    finally:
        client.close()
    assert [(frame["type"], frame["id"]) for frame in heard] == [
        ("chat.message", n + 1) for n in range(MESSAGES)
    ]
    assert [frame["body"] for frame in heard] == [f"{n} {BODY}" for n in range(MESSAGES)]
