"""Helpers for tests that run real processes: the test database as a URL, free ports,
polling with a deadline, an HTTP client for a server under test."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a URL for processes started by the test."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings["USER"] or "")
    password = f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], Any], *, seconds: float, message: str | Callable[[], str]
) -> Any:
    """Poll a real condition until it holds, failing with `message` (or what it returns,
    read only then, e.g. a process's log) after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(message() if callable(message) else message)
        time.sleep(0.05)


@dataclass
class Server:
    port: int
    application_name: str
    process: subprocess.Popen[bytes]
    log: Path
    headers: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = {**self.headers, **(headers or {})}
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=sent)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def connection_counter(application_name: str) -> Iterator[Callable[..., int]]:
    """Count, as PostgreSQL sees them, the connections that a process started with
    `PGAPPNAME=application_name` holds on the test database (all of them, or only those
    waiting for a lock), through one monitoring connection of the test's own."""
    with psycopg.connect(database_url(), autocommit=True) as monitor:

        def count(*, waiting_for_lock: bool = False) -> int:
            row = monitor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()"
                " AND (NOT %s OR wait_event_type = 'Lock')",
                [application_name, waiting_for_lock],
            ).fetchone()
            return int(row[0]) if row else 0

        yield count


def sign_in(server: Server, *, email: str, password: str) -> None:
    """Sign in through allauth's headless app API, as a script would; later requests carry
    the session token."""
    status, _, body = server.request(
        "POST", "/_allauth/app/v1/auth/login", {"email": email, "password": password}
    )
    assert status == 200, body[:500]
    server.headers["X-Session-Token"] = json.loads(body)["meta"]["session_token"]
