"""Real processes for integration tests, on the test database, always stopped again: an ASGI
server (daphne, as `make run` serves) on a free port, and Celery workers on a queue of the
test's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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

        wait_until(
            answers, seconds=60, message=lambda: f"the server did not start:\n{server.output()}"
        )
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


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the worker and everything it started (pool children, embedded beat)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)


@pytest.fixture
def celery_queue(redis_url: str, postgres: None) -> Iterator[str]:
    """A queue of the test's own, where this process sends jobs (to the broker, not eagerly)."""
    from pioneer_platform.celery import app

    queue = f"integration-{uuid.uuid4().hex[:12]}"
    previous = (app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.task_default_queue, app.conf.task_always_eager = queue, False
    yield queue
    app.conf.task_default_queue, app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker(
    celery_queue: str, redis_url: str, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    """Start a Celery worker (one thread) on the test's queue: `start(name, *arguments,
    **environment)`. Its database connections carry `name` as their application name."""
    started: list[Worker] = []

    def start(name: str, *arguments: str, **extra_env: str) -> Worker:
        log = tmp_path / f"worker-{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": celery_queue,
            "PGAPPNAME": name,
            **extra_env,
        }
        command = [sys.executable, "-m", "celery", "-A", "pioneer_platform", "worker"]
        # Threads, not solo: a solo worker runs its job in its event loop and cannot take
        # further messages meanwhile.
        command += ["--pool", "threads", "--concurrency", "1", "--queues", celery_queue]
        command += ["--hostname", f"{name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--loglevel", "INFO", *arguments]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name=name, process=process, log=log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop(signal.SIGKILL)
