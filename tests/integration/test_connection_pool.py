"""Under ASGI every request runs in a thread of its own. The server borrows its database
connections from a bounded pool and gives them back when the request ends, so a burst of
requests can neither exhaust PostgreSQL (shared by everything on the cluster) nor leave
idle connections behind; a request that finds the pool empty past its timeout is told to
come back (503 with Retry-After), never answered with a 500 and never left hanging."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from tests.conftest import PASSWORD
from tests.integration.helpers import (
    Server,
    connection_counter,
    database_url,
    sign_in,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

POOL_MAX = 6
REQUESTS = 300
CONCURRENCY = 60


@pytest.fixture
def person(settings: Any, user_factory: Any) -> Any:
    # The server checks the password with its own hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return user_factory()


def status_of(server: Server, path: str) -> int:
    try:
        return server.request("GET", path, timeout=60)[0]
    except OSError:
        return 0  # refused, reset or timed out: as bad as a server error


def test_a_burst_of_requests_stays_within_the_pool(asgi_server: Any, person: Any) -> None:
    server = asgi_server(DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE=str(POOL_MAX))
    sign_in(server, email=person.email, password=PASSWORD)
    samples: list[int] = []
    done = threading.Event()
    with connection_counter(server.application_name) as count:

        def sample() -> None:
            while not done.is_set():
                samples.append(count())
                done.wait(0.01)  # the sampling rate, not a synchronisation

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(max_workers=CONCURRENCY) as clients:
                statuses = list(
                    clients.map(lambda _: status_of(server, "/api/v1/me/"), range(REQUESTS))
                )
        finally:
            done.set()
            sampler.join()
        elapsed = time.monotonic() - started
        after = count()
    failures = Counter(status for status in statuses if status != 200)
    print(
        f"{REQUESTS} requests at {CONCURRENCY} concurrent in {elapsed:.1f} s: "
        f"failures {dict(failures)}, peak connections {max(samples)} over {len(samples)} "
        f"samples, {after} after"
    )
    assert failures == {}, server.output()
    assert len(samples) > 10, "the load ended before connections could be sampled"
    assert max(samples) <= POOL_MAX
    assert after <= POOL_MAX


def test_a_request_that_finds_the_pool_empty_is_told_to_retry(
    asgi_server: Any, person: Any
) -> None:
    server = asgi_server(DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="1", DB_POOL_TIMEOUT="1")
    sign_in(server, email=person.email, password=PASSWORD)
    with (
        connection_counter(server.application_name) as count,
        psycopg.connect(database_url()) as blocker,
        ThreadPoolExecutor(max_workers=1) as background,
    ):
        # The pool's only connection goes to a request that waits for a lock the test holds.
        blocker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        holder = background.submit(server.request, "GET", "/api/v1/me/")
        wait_until(
            lambda: count(waiting_for_lock=True) == 1,
            seconds=30,
            message="the first request did not reach the database",
        )
        started = time.monotonic()
        api_status, api_headers, api_body = server.request("GET", "/api/v1/me/", timeout=10)
        page_status, page_headers, page_body = server.request("GET", "/", timeout=10)
        health_status, _, health_body = server.request("GET", "/healthz", timeout=10)
        waited = time.monotonic() - started
        blocker.rollback()
        first_status = holder.result(timeout=30)[0]

    assert api_status == 503, api_body[:300]
    assert int(api_headers["Retry-After"]) > 0
    assert "detail" in json.loads(api_body)
    assert page_status == 503, page_body[:300]
    assert int(page_headers["Retry-After"]) > 0
    assert page_headers["Content-Type"].startswith("text/html")
    assert b"try again" in page_body.lower()
    # The health check names what is missing (after the same pool timeout).
    assert health_status == 503
    assert json.loads(health_body)["database"] == "unavailable"
    # Each waited one pool timeout, not for the lock.
    assert waited < 10
    assert first_status == 200
