"""API load benchmark: concurrent clients on the feed, next-item and answer endpoints
through the real ASGI server (daphne, as `make run` serves) on PostgreSQL, for a fixed time.

Each client is a verified pioneer signed in with a session token (`X-Session-Token`) on a
keep-alive connection of its own, looping: GET the feed, POST next on its mode's project,
POST the answer. Two modes share one server process and the same data (two published
projects, so both feeds list the same two):

- project: the project's endpoints, `/api/v1/...`;
- baseline: minimal Django views that send the same SQL and return the same JSON,
  `/bench/v1/...` (see `_api_baseline.py`; checked to answer alike before the load).

Rounds alternate between the modes, so drift on a shared machine hits both. Printed per
mode and endpoint: requests/s, p50/p99 latency; per mode: server errors (the run fails
on any: a 5xx, or a connection refused or reset), the most database connections the
server held at once (sampled from pg_stat_activity), and the project/baseline ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer python bench/api_load_bench.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

from _django import ROOT, percentile, setup_django, throwaway_database

setup_django()

import psycopg
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections
from django.utils import timezone

ENDPOINTS = ("feed", "next", "answer")
PREFIX = {"project": "/api/v1", "baseline": "/bench/v1"}


def build(clients: int, items: int) -> tuple[dict[str, str], list[str]]:
    """Two published projects (one per mode) and `clients` verified pioneers, each with a
    session token. Returns the projects' public ids by mode and the tokens."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services.users import user_grant_role, user_set_verified
    from tasks.models import Item, Project, State
    from tasks.services.projects import project_create

    requester = User.objects.create_user("requester@bench.example", "x")
    user_grant_role(user=requester, role=Role.REQUESTER)
    projects = {}
    for mode in PREFIX:
        project = project_create(
            owner=requester,
            title=f"Animals ({mode})",
            kind="single_label",
            instructions="Which animal is it?",
            labels=["cat", "dog", "bird"],
            overlap=3,
            reservation_timeout=3600,
            gold_rate=0.0,
        )
        for start in range(0, items, 5000):
            Item.objects.bulk_create(
                Item(project=project, payload={"text": f"item {n}"}, open_slots=3)
                for n in range(start, min(items, start + 5000))
            )
        Project.objects.filter(pk=project.pk).update(
            state=State.PUBLISHED, published_at=timezone.now()
        )
        projects[mode] = str(project.public_id)
    tokens = []
    for n in range(clients):
        person = User.objects.create_user(f"pioneer-{n}@bench.example", "x")
        EmailAddress.objects.create(user=person, email=person.email, primary=True, verified=True)
        user_grant_role(user=person, role=Role.PIONEER)
        user_set_verified(user=person)
        session = SessionStore()
        session[SESSION_KEY] = str(person.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = person.get_session_auth_hash()
        session.create()
        tokens.append(str(session.session_key))
    connections.close_all()
    return projects, tokens


class Client:
    """One pioneer on one keep-alive connection."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"X-Session-Token": self.token}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next call; this one counts as failed
            return 0, None
        try:
            return response.status, json.loads(data) if data else None
        except ValueError:
            return response.status, data.decode(errors="replace")[:2000]

    def cycle(self, mode: str, project: str, record: Any) -> None:
        prefix = PREFIX[mode]
        start = time.perf_counter()
        status, _ = self.call("GET", f"{prefix}/projects/")
        record("feed", status, time.perf_counter() - start)
        start = time.perf_counter()
        status, assignment = self.call("POST", f"{prefix}/projects/{project}/next/")
        record("next", status, time.perf_counter() - start)
        if status != 201:
            return
        start = time.perf_counter()
        status, _ = self.call(
            "POST", f"{prefix}/assignments/{assignment['id']}/answer/", {"value": "cat"}
        )
        record("answer", status, time.perf_counter() - start)


def same_json(port: int, token: str, projects: dict[str, str]) -> None:
    """The baseline must answer what the project answers (values that differ by nature,
    such as new ids and times, are compared by their keys)."""
    client = Client(port, token)
    feeds = {mode: client.call("GET", f"{PREFIX[mode]}/projects/") for mode in PREFIX}
    if feeds["project"] != feeds["baseline"]:
        raise SystemExit(f"the feeds differ:\n{feeds}")
    shapes = {}
    for mode, prefix in PREFIX.items():
        status, assignment = client.call("POST", f"{prefix}/projects/{projects[mode]}/next/")
        answer = client.call(
            "POST", f"{prefix}/assignments/{assignment['id']}/answer/", {"value": "cat"}
        )
        shapes[mode] = (status, sorted(assignment), sorted(assignment["item"]), answer[0])
        shapes[mode] += (sorted(answer[1]), answer[1]["value"])
    if shapes["project"] != shapes["baseline"]:
        raise SystemExit(f"next/answer differ: {shapes}")


def run_mode(
    mode: str, port: int, project: str, tokens: list[str], seconds: float, count: Any
) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()
    clients = [Client(port, token) for token in tokens]
    barrier = threading.Barrier(len(clients) + 1)
    peak = 0
    done = threading.Event()

    def record(endpoint: str, status: int, took: float) -> None:
        with lock:
            statuses[endpoint][status] += 1
            latencies[endpoint].append(took)

    def untimed(endpoint: str, status: int, took: float) -> None:
        if status == 0 or status >= 500:
            record(endpoint, status, took)

    def drive(client: Client) -> None:
        # One untimed round: connection, lazy imports, the statements' preparation.
        client.cycle(mode, project, untimed)
        barrier.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            client.cycle(mode, project, record)
        client.conn.close()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, count())
            done.wait(0.02)

    threads = [threading.Thread(target=drive, args=(client,)) for client in clients]
    sampler = threading.Thread(target=sample)
    for thread in threads:
        thread.start()
    sampler.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    return {"wall": wall, "latencies": latencies, "statuses": statuses, "peak": peak}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(application_name: str, log: Any) -> tuple[subprocess.Popen[bytes], int]:
    settings = connection.settings_dict
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    url = f"postgres://{user}{password}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench._api_settings",
        "DEBUG": "false",
        "PGAPPNAME": application_name,
        # Both modes are measured, not rate-limited; the project's throttle still runs.
        "THROTTLE_USER": "1000000/min",
        # No worker runs beside the bench: the few jobs (remaining counts) run in-process.
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            *("-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
            "pioneer_platform.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit("the server exited (its log follows)")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start within 60 s")
        time.sleep(0.1)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    wall = sum(run["wall"] for run in runs)
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for run in runs:
        for endpoint in ENDPOINTS:
            latencies[endpoint] += run["latencies"][endpoint]
            for status, n in run["statuses"][endpoint].items():
                statuses[endpoint][status] += n
    errors = sum(
        n
        for endpoint in ENDPOINTS
        for status, n in statuses[endpoint].items()
        if status == 0 or status >= 500
    )
    unexpected = {
        endpoint: {s: n for s, n in statuses[endpoint].items() if s not in (200, 201, 204)}
        for endpoint in ENDPOINTS
    }
    requests = sum(len(latencies[endpoint]) for endpoint in ENDPOINTS)
    return {
        "wall": wall,
        "requests": requests,
        "rate": requests / wall,
        "endpoints": {
            endpoint: {
                "rate": len(latencies[endpoint]) / wall,
                "p50": percentile(latencies[endpoint], 0.50) * 1000,
                "p99": percentile(latencies[endpoint], 0.99) * 1000,
            }
            for endpoint in ENDPOINTS
            if latencies[endpoint]
        },
        "errors": errors,
        "unexpected": {e: s for e, s in unexpected.items() if s},
        "peak": max(run["peak"] for run in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent pioneers")
    parser.add_argument("--seconds", type=float, default=10.0, help="per mode and round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per mode")
    parser.add_argument("--items", type=int, default=5000, help="items per mode's project")
    args = parser.parse_args()
    print(
        f"API load bench: {args.clients} clients, {args.rounds} x {args.seconds:.0f} s per "
        "mode, one daphne process on PostgreSQL"
    )
    with throwaway_database():
        projects, tokens = build(args.clients, args.items)
        name = f"pp-bench-{uuid.uuid4().hex[:8]}"
        settings = connection.settings_dict
        monitor = psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
            autocommit=True,
        )

        def count() -> int:
            row = monitor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name]
            ).fetchone()
            return int(row[0]) if row else 0

        with tempfile.TemporaryFile() as log:
            server, port = start_server(name, log)
            try:
                same_json(port, tokens[0], projects)
                runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in PREFIX}
                for n in range(args.rounds):
                    order = list(PREFIX) if n % 2 == 0 else list(reversed(PREFIX))
                    for mode in order:
                        runs[mode].append(
                            run_mode(mode, port, projects[mode], tokens, args.seconds, count)
                        )
            except BaseException:
                stop_server(server)
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace")[-4000:])
                raise
            finally:
                stop_server(server)
                monitor.close()
                connections.close_all()
    results = {mode: summary(runs[mode]) for mode in PREFIX}
    print(
        f"{'mode':<10}{'endpoint':<9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'peak db conns':>15}"
    )
    for mode, result in results.items():
        for endpoint, row in result["endpoints"].items():
            print(f"{mode:<10}{endpoint:<9}{row['rate']:>9.1f}{row['p50']:>9.2f}{row['p99']:>9.2f}")
        print(
            f"{mode:<10}{'all':<9}{result['rate']:>9.1f}{'':>18}{result['errors']:>8}"
            f"{result['peak']:>15}"
        )
        if result["unexpected"]:
            print(f"{'':<10}statuses other than 200/201/204: {result['unexpected']}")
    project, baseline = results["project"], results["baseline"]
    print(f"ratio project/baseline: throughput {project['rate'] / baseline['rate']:.2f}x", end="")
    for endpoint in ENDPOINTS:
        p50 = project["endpoints"][endpoint]["p50"] / baseline["endpoints"][endpoint]["p50"]
        print(f", {endpoint} p50 {p50:.2f}x", end="")
    print()
    if project["errors"] or baseline["errors"]:
        raise SystemExit("server errors under load: there must be none")


if __name__ == "__main__":
    main()
