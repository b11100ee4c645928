"""Real processes for integration tests: an ASGI server (daphne, as `make run` serves) on the
test database, started on a free port and always stopped again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import ROOT, Server, database_url, free_port, wait_until


@pytest.fixture
def asgi_server(redis_url: str, postgres: None, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start daphne on the test database with extra environment; stopped after the test."""
    started: list[Server] = []

    def start(**extra_env: str) -> Server:
        port = free_port()
        name = f"pp-test-{uuid.uuid4().hex[:12]}"
        log = tmp_path / f"daphne-{port}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "DEBUG": "false",
            # libpq names every connection the server opens, so the test can count them.
            "PGAPPNAME": name,
            **extra_env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
                    "pioneer_platform.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(port=port, application_name=name, process=process, log=log)
        started.append(server)

        def answers() -> bool:
            assert process.poll() is None, f"the server exited:\n{server.output()}"
            try:
                return server.request("GET", "/healthz", timeout=5)[0] == 200
            except OSError:
                return False

        wait_until(answers, seconds=60, message=f"the server did not start:\n{server.output()}")
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGTERM)
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=15)
