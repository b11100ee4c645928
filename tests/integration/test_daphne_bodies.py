"""Request bodies through the server `make run` starts: daphne, in its own process.

Twisted buffers a body before daphne calls the application, so what the application does
about a body comes too late for these; `pioneer_platform.http_server` adjusts daphne."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.integration.helpers import ROOT, database_url, free_port

# The server's requests reach the database (sessions, pool): it runs on the test database,
# which pytest-django sets up only when a collected test asks for it.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]
CAP = 8_000_000


@pytest.fixture(scope="module")
def daphne(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, int]]:
    """(port, pid) of a daphne serving the platform with a small multipart cap, on the
    test database (on SQLite, which keeps that in the test process's memory, on an empty
    file of its own: these requests are answered before any table is read)."""
    port = free_port()
    if connection.vendor == "sqlite":
        database = f"sqlite:///{tmp_path_factory.mktemp('daphne') / 'server.sqlite3'}"
    else:
        database = database_url()
    env = {**os.environ, "DATABASE_URL": database, "REQUEST_MAX_MULTIPART_BYTES": str(CAP)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "pioneer_platform.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "daphne did not listen within 60 s"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def exchange(port: int, head: str, body: bytes) -> bytes:
    """Send the head and the body as far as the server takes it; the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        client.sendall(head.encode())
        # The server may answer and close without taking the rest.
        with contextlib.suppress(OSError):
            client.sendall(body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith((b"}", b"]")):
            chunk = client.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def head(path: str, content_type: str, length: int) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )


def test_a_declared_length_over_the_cap_is_answered_before_the_body(
    daphne: tuple[int, int],
) -> None:
    port, _ = daphne
    path = "/api/v1/kyc/cases/00000000-0000-0000-0000-000000000000/documents/"
    # A gigabyte announced, a kilobyte sent: the answer cannot have waited for the rest.
    answer = exchange(port, head(path, "multipart/form-data; boundary=x", 10**9), b"x" * 1024)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(f'{{"detail": "The request body is larger than {CAP} bytes."}}'.encode())


def test_a_multipart_body_without_a_boundary_gets_a_message(daphne: tuple[int, int]) -> None:
    port, _ = daphne
    answer = exchange(port, head("/_allauth/app/v1/auth/login", "multipart/form-data", 5), b"abcde")
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b'"message": "Not valid JSON' in answer


def test_a_multipart_body_under_the_cap_is_not_parsed_in_memory_by_the_server(
    daphne: tuple[int, int],
) -> None:
    port, pid = daphne

    def resident_kb(field: str) -> int:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith(field)).split()[1])

    before = resident_kb("VmRSS:")
    boundary = "pioneer-boundary"
    payload = b"\0" * (CAP - 1000)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="id.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    path = "/api/v1/kyc/cases/00000000-0000-0000-0000-000000000000/documents/"
    answer = exchange(
        port, head(path, f"multipart/form-data; boundary={boundary}", len(body)), body
    )
    assert answer.startswith(b"HTTP/1.1 401 ")  # it reached the application, which wants a login
    # Twisted's own parse of the form held about twelve copies of the body at its peak.
    assert resident_kb("VmHWM:") - before < 3 * CAP // 1024
