"""Chat fan-out: one room, `--sockets` connected clients, `--messages` messages.

Two deliveries of the same messages to the same number of clients, in the same run:

- chat: the project's path. A moderator posts through `community.services.chat
  .message_post` (the room's row lock, the message row, the read mark, then after the
  commit `group_send` on the channel layer, Redis); every client holds a real WebSocket
  on `/ws/chat/lounge/` served by `--servers` daphne processes (the ASGI application as
  production runs it), spread round-robin.
- raw: the floor. The same number of clients each hold a Redis pub/sub subscription on one
  channel, and the publisher PUBLISHes the same payloads: no database, no ASGI server, no
  per-channel queues.

Latency of one delivery: from just before the post (or PUBLISH) to the client's reading
the frame, on one clock (clients and poster share this process: the clients in an event
loop thread, the poster in the main thread). Printed per path: deliveries/s, p50/p99
latency, messages lost (expected minus received after a drain), and the ratios. Target
(issue): p99 within 3x raw at 1,000 sockets, 0 lost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/chat_fanout_bench.py --sockets 1000 --messages 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"

from _django import ROOT, percentile, setup_django, throwaway_database

setup_django()

from django.conf import settings
from django.db import connection
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)


@dataclass
class Tally:
    sent_at: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    reconnects: int = 0
    last_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def heard(self, message_id: int) -> None:
        now = time.monotonic()
        with self.lock:
            started = self.sent_at.get(message_id)
            if started is not None:
                self.latencies.append(now - started)
                self.received += 1
                self.last_at = max(self.last_at, now)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'] or '')}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


LOG = open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "ab")  # noqa: SIM115


def start_servers(count: int) -> tuple[list[int], list[subprocess.Popen[bytes]]]:
    ports, processes = [], []
    # redis-py 8 reads with a 5-second timeout by default, and the channel layer's blocking
    # wait for a consumer's next message lasts up to 5 seconds: a socket idle that long
    # would fail with 1011 mid-run. A longer read timeout, for the servers measured here.
    redis_url = (
        settings.REDIS_URL + ("&" if "?" in settings.REDIS_URL else "?") + "socket_timeout=15"
    )
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "false", "REDIS_URL": redis_url}
    for _ in range(count):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                 "pioneer_platform.asgi:application"],
                cwd=ROOT, env=env, stdout=LOG, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
        ports.append(port)
    deadline = time.monotonic() + 60
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("daphne did not start") from None
                time.sleep(0.2)
    return ports, processes


async def chat_client(port: int, cookie: str, tally: Tally, ready: asyncio.Event) -> None:
    """Reconnects, as the page script does, when the handshake is dropped (daphne drops a
    handshake its consumer has not accepted within 5 seconds, which a loaded machine
    misses); once in, a dropped connection fails the run."""
    for attempt in range(5):
        try:
            await chat_session(port, cookie, tally, ready)
            return
        except ConnectionError:
            if ready.is_set() or attempt == 4:
                raise
            tally.reconnects += 1
            await asyncio.sleep(0.5 * (attempt + 1))


async def chat_session(port: int, cookie: str, tally: Tally, ready: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ws = WSConnection(ConnectionType.CLIENT)
    host = f"127.0.0.1:{port}"
    writer.write(
        ws.send(
            Request(
                host=host,
                target="/ws/chat/lounge/",
                extra_headers=[
                    (b"cookie", cookie.encode()),
                    (b"origin", f"http://{host}".encode()),
                ],
            )
        )
    )
    buffer = ""
    hello = False
    while True:
        data = await reader.read(65536)
        if not data:
            return
        ws.receive_data(data)
        for event in ws.events():
            if isinstance(event, (RejectConnection, CloseConnection)):
                raise SystemExit(f"socket refused or closed: {event!r}")
            if isinstance(event, AcceptConnection):
                continue
            if isinstance(event, Ping):
                # As browsers do: daphne pings every 20 s and drops a socket that has not
                # answered within 30 s, which a run longer than that would count as lost.
                writer.write(ws.send(event.response()))
                continue
            if isinstance(event, TextMessage):
                buffer += event.data
                if not event.message_finished:
                    continue
                frame = json.loads(buffer)
                buffer = ""
                if frame["type"] == "hello" and not hello:
                    hello = True
                    ready.set()
                elif frame["type"] == "chat.message":
                    tally.heard(int(frame["body"]))


async def raw_client(tally: Tally, ready: asyncio.Event) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe("bench.chat.raw")
    ready.set()
    async for message in pubsub.listen():
        if message["type"] == "message":
            tally.heard(int(json.loads(message["data"])["body"]))


def run_clients(
    make: Any, count: int, tally: Tally
) -> tuple[threading.Thread, asyncio.AbstractEventLoop, threading.Event]:
    """Start `count` clients on an event loop in a thread; returns once all are ready."""
    loop = asyncio.new_event_loop()
    all_ready = threading.Event()

    async def main() -> None:
        events = [asyncio.Event() for _ in range(count)]
        tasks = []
        for n, event in enumerate(events):
            tasks.append(asyncio.create_task(make(n, event)))
            # A connection storm would only measure handshakes (each one reads the session,
            # the person and the room) against daphne's 5-second handshake timeout.
            if n % 10 == 9:
                await asyncio.sleep(0.1)
        waiting = asyncio.gather(*(event.wait() for event in events))
        while not waiting.done():
            done, _ = await asyncio.wait([waiting], timeout=5)
            failed = [task.exception() for task in tasks if task.done() and task.exception()]
            if failed:
                print(f"{len(failed)} clients failed, e.g. {failed[0]!r}", file=sys.stderr)
                raise SystemExit(1)
            if not done:
                ready = sum(event.is_set() for event in events)
                print(f"  {ready}/{count} connected", file=sys.stderr)
        all_ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    if not all_ready.wait(timeout=300):
        raise SystemExit("clients did not all connect")
    return thread, loop, all_ready


def drain(tally: Tally, expected: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while tally.received < expected and time.monotonic() < deadline:
        time.sleep(0.05)


def report(name: str, tally: Tally, expected: int, started: float) -> dict[str, float]:
    span = max(tally.last_at - started, 1e-9)
    rate = tally.received / span
    p50 = percentile(tally.latencies, 0.50) * 1000 if tally.latencies else float("nan")
    p99 = percentile(tally.latencies, 0.99) * 1000 if tally.latencies else float("nan")
    lost = expected - tally.received
    print(
        f"{name:>5}: {rate:10.0f} deliveries/s   p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   lost {lost}"
    )
    return {"rate": rate, "p50": p50, "p99": p99, "lost": lost}


def main() -> None:
    # A timeout's SIGTERM unwinds through the finally blocks, so the servers stop too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between posts")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for stragglers")
    args = parser.parse_args()
    if not settings.REDIS_URL:
        raise SystemExit("set REDIS_URL: the fan-out goes through Redis")

    with throwaway_database():
        from django.test import Client

        from accounts.models import User
        from accounts.roles import Role
        from accounts.services.users import user_grant_role
        from community.services import chat

        rooms = chat.standing_rooms_open()
        lounge = rooms["lounge"]
        poster = User.objects.create_user(email="poster@example.com", password="x")
        user_grant_role(user=poster, role=Role.MODERATOR)
        reader = User.objects.create_user(email="reader@example.com", password="x")
        browser = Client()
        browser.force_login(reader)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        expected = args.sockets * args.messages
        print(f"{args.sockets} sockets, {args.messages} messages, {args.servers} daphne processes")

        ports, servers = start_servers(args.servers)
        try:
            chat_tally = Tally()
            run_clients(
                lambda n, ready: chat_client(ports[n % len(ports)], cookie, chat_tally, ready),
                args.sockets,
                chat_tally,
            )
            started = time.monotonic()
            for n in range(args.messages):
                chat_tally.sent_at[n] = time.monotonic()
                chat.message_post(room=lounge, author=poster, body=str(n))
                time.sleep(args.interval)
            drain(chat_tally, expected, args.drain)
            chat_result = report("chat", chat_tally, expected, started)
        finally:
            for process in servers:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)

    import redis

    raw_tally = Tally()
    run_clients(lambda n, ready: raw_client(raw_tally, ready), args.sockets, raw_tally)
    publisher = redis.Redis.from_url(settings.REDIS_URL)
    started = time.monotonic()
    for n in range(args.messages):
        raw_tally.sent_at[n] = time.monotonic()
        publisher.publish("bench.chat.raw", json.dumps({"type": "chat.message", "body": str(n)}))
        time.sleep(args.interval)
    drain(raw_tally, expected, args.drain)
    raw_result = report("raw", raw_tally, expected, started)

    print(
        f"ratio chat/raw: p50 {chat_result['p50'] / raw_result['p50']:.1f}x, "
        f"p99 {chat_result['p99'] / raw_result['p99']:.1f}x, "
        f"deliveries/s {chat_result['rate'] / raw_result['rate']:.2f}x "
        f"(target: p99 within 3x, 0 lost)"
    )
    if chat_result["lost"]:
        raise SystemExit(f"{chat_result['lost']} chat deliveries lost")


if __name__ == "__main__":
    main()
