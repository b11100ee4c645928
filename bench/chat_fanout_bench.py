"""Chat fan-out: one room, `--sockets` connected clients, `--messages` messages.

Two deliveries of the same messages to the same number of clients, in the same run:

- chat: the project's path. A moderator posts through `community.services.chat
  .message_post` (the room's row lock, the message row, the read mark, then after the
  commit one PUBLISH on the chat channel layer); every client holds a real WebSocket on
  `/ws/chat/lounge/` served by `--servers` daphne processes (the ASGI application as
  production runs it), spread round-robin.
- raw: the floor. The same number of clients each hold a Redis pub/sub subscription on one
  channel, and a publisher PUBLISHes payloads of the same shape and size: no database, no
  ASGI server.

The bench starts its own `redis-server` on a free port (the machine's may cap clients at
10,000, which the raw floor needs for itself at that size) and needs only `DATABASE_URL`
(PostgreSQL; a throwaway database is created and dropped).

What is measured is the server, so the instruments cost the same on both paths and as
little as possible: the poster (or publisher) is its own process, and the clients share
one process with the collector switched off while measuring, each a plain asyncio protocol
that reads its frames (WebSocket, or Redis's protocol) and decodes each message's JSON.
A message carries the poster's clock reading (CLOCK_MONOTONIC, one clock for every process
on the machine) taken just before the post or PUBLISH; latency is from then to the
client's reading the frame. Printed per path: deliveries/s, p50/p99 latency, messages lost
(expected minus received after a drain), and the ratios. Target (issue): p99 within 3x
raw at 1,000 sockets, 0 lost at 1,000 and at 10,000.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer \\
        python bench/chat_fanout_bench.py --sockets 1000 --messages 200
    ... --sockets 10000 --messages 30 --interval 1
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
RAW_CHANNEL = b"bench.chat.raw"
HANDSHAKES = 16


# --- Instruments (no Django: the client process and the publisher import none of it) -------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    first_sent: float = float("inf")
    last_at: float = 0.0
    expected: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    failures: list[str] = field(default_factory=list)
    server_cpu: float = 0.0

    def heard(self, frame: bytes) -> None:
        now = time.monotonic()
        event = json.loads(frame)
        if event.get("type") != "chat.message":
            return
        _, sent = event["body"].split()
        started = float(sent)
        self.latencies.append(now - started)
        self.received += 1
        self.first_sent = min(self.first_sent, started)
        self.last_at = now
        if self.received >= self.expected:
            self.done.set()


class ChatClient(asyncio.Protocol):
    """One WebSocket client: the upgrade request, then the server's (unmasked) frames."""

    def __init__(self, host: str, cookie: str, tally: Tally, ready: asyncio.Future[None]):
        self.host, self.cookie, self.tally, self.ready = host, cookie, tally, ready
        self.buffer = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                "GET /ws/chat/lounge/ HTTP/1.1\r\n"
                f"Host: {self.host}\r\nOrigin: http://{self.host}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Cookie: {self.cookie}\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            if b" 101 " not in buffer[: buffer.find(b"\r\n")]:
                self.fail(f"upgrade refused: {buffer[:80]!r}")
                return
            self.upgraded = True
            buffer = buffer[end + 4 :]
        position = 0
        while len(buffer) - position >= 2:
            opcode, length = buffer[position] & 0x0F, buffer[position + 1] & 0x7F
            head = 2
            if length == 126:
                head, length = 4, int.from_bytes(buffer[position + 2 : position + 4], "big")
            elif length == 127:
                head, length = 10, int.from_bytes(buffer[position + 2 : position + 10], "big")
            if len(buffer) - position < head + length:
                break
            payload = buffer[position + head : position + head + length]
            position += head + length
            if opcode == 0x1:
                self.text(payload)
            elif opcode == 0x9:
                # As browsers do: daphne pings every 20 s and drops a socket that has not
                # answered. Client frames are masked; a zero key leaves the payload as is.
                assert self.transport is not None
                assert length < 126
                self.transport.write(bytes([0x8A, 0x80 | length]) + b"\0\0\0\0" + payload)
            elif opcode == 0x8:
                self.fail(f"closed by the server: {payload!r}")
        self.buffer = buffer[position:]

    def text(self, payload: bytes) -> None:
        if not self.ready.done():
            if json.loads(payload).get("type") == "hello":
                self.ready.set_result(None)
            return
        self.tally.heard(payload)

    def fail(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(reason))
        else:
            self.tally.failures.append(reason)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"dropped before hello: {exc!r}"))
        elif not self.tally.done.is_set() and not getattr(self, "closing", False):
            self.tally.failures.append(f"dropped: {exc!r}")


class RawClient(asyncio.Protocol):
    """One Redis pub/sub subscriber: SUBSCRIBE, then the server's push replies."""

    def __init__(self, tally: Tally, ready: asyncio.Future[None]):
        self.tally, self.ready = tally, ready
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(RAW_CHANNEL), RAW_CHANNEL))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        position = 0
        while True:
            reply = _resp_array(buffer, position)
            if reply is None:
                break
            parts, position = reply
            if parts[0] == b"message":
                self.tally.heard(parts[2])
            elif parts[0] == b"subscribe" and not self.ready.done():
                self.ready.set_result(None)
        self.buffer = buffer[position:]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"dropped: {exc!r}"))
        elif not self.tally.done.is_set() and not getattr(self, "closing", False):
            self.tally.failures.append(f"dropped: {exc!r}")


def _resp_array(buffer: bytes, position: int) -> tuple[list[bytes], int] | None:
    """A RESP2 array of bulk strings and integers at `position`, or None if incomplete."""
    end = buffer.find(b"\r\n", position)
    if end < 0:
        return None
    if buffer[position : position + 1] != b"*":
        raise ValueError(f"unexpected reply {buffer[position : position + 40]!r}")
    items, position = int(buffer[position + 1 : end]), end + 2
    parts = []
    for _ in range(items):
        end = buffer.find(b"\r\n", position)
        if end < 0:
            return None
        kind = buffer[position : position + 1]
        if kind == b":":
            parts.append(buffer[position + 1 : end])
            position = end + 2
            continue
        size = int(buffer[position + 1 : end])
        if len(buffer) < end + 2 + size + 2:
            return None
        parts.append(buffer[end + 2 : end + 2 + size])
        position = end + 2 + size + 2
    return parts, position


async def open_clients(
    count: int, connect: Callable[[int, asyncio.Future[None]], Any]
) -> list[asyncio.BaseTransport]:
    """Open `count` clients, at most `HANDSHAKES` at a time: a connection storm would only
    measure handshakes (each reads the session, the person and the room) against daphne's
    5-second handshake timeout. A handshake dropped on a loaded machine is retried, as the
    page script does."""
    loop = asyncio.get_running_loop()
    transports: list[asyncio.BaseTransport] = []
    in_flight = asyncio.Semaphore(HANDSHAKES)

    async def one(n: int) -> None:
        for attempt in range(5):
            async with in_flight:
                ready: asyncio.Future[None] = loop.create_future()
                transport, _ = await connect(n, ready)
                try:
                    await ready
                except ConnectionError:
                    transport.close()
                    if attempt == 4:
                        raise
                else:
                    transports.append(transport)
                    return
            await asyncio.sleep(0.5 * (attempt + 1))

    waiting = asyncio.gather(*(one(n) for n in range(count)))
    while True:
        done, _ = await asyncio.wait([waiting], timeout=10)
        if done:
            waiting.result()
            return transports
        print(f"  {len(transports)}/{count} connected", file=sys.stderr)


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far (Linux)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def measure(
    count: int,
    connect: Callable[[Tally], Callable[[int, asyncio.Future[None]], Any]],
    sender: list[str],
    messages: int,
    drain: float,
    servers: list[int],
) -> Tally:
    tally = Tally(expected=count * messages)
    transports = await open_clients(count, connect(tally))
    cpu_before = cpu_seconds(servers)
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        process = await asyncio.create_subprocess_exec(*sender, cwd=ROOT)
        if await process.wait():
            raise SystemExit(f"the sender failed: {sender[:4]}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.done.wait(), timeout=drain)
    finally:
        gc.enable()
        gc.unfreeze()
    tally.server_cpu = cpu_seconds(servers) - cpu_before
    for transport in transports:
        transport.get_protocol().closing = True  # type: ignore[attr-defined]
        transport.close()
    if tally.failures:
        raise SystemExit(f"{len(tally.failures)} clients failed, e.g. {tally.failures[0]}")
    return tally


def report(name: str, tally: Tally) -> dict[str, float]:
    span = max(tally.last_at - tally.first_sent, 1e-9)
    rate = tally.received / span
    ordered = sorted(tally.latencies)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    p50 = at(0.50) if ordered else float("nan")
    p99 = at(0.99) if ordered else float("nan")
    lost = tally.expected - tally.received
    per_delivery = tally.server_cpu / max(tally.received, 1) * 1e6
    print(
        f"{name:>5}: {rate:10.0f} deliveries/s   p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   "
        f"lost {lost}   server CPU {per_delivery:.1f} µs/delivery"
    )
    return {"rate": rate, "p50": p50, "p99": p99, "lost": lost}


# --- Senders (each its own process, started when every client is in) -----------------------


def paced(messages: int, interval: float, send: Callable[[str], None]) -> None:
    """Send `messages` bodies "<n> <clock reading>", one every `interval` seconds (on a
    schedule, so a slow send does not stretch the run)."""
    start = time.monotonic()
    for n in range(messages):
        wait = start + n * interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        send(f"{n} {time.monotonic():.6f}")


def post_messages(args: argparse.Namespace) -> None:
    from _django import median, percentile, setup_django

    setup_django()
    from accounts.models import User
    from community.models import Room
    from community.services import chat

    room = Room.objects.get(slug="lounge")
    poster = User.objects.get(email="poster@example.com")
    took: list[float] = []

    def post(body: str) -> None:
        started = time.monotonic()
        chat.message_post(room=room, author=poster, body=body)
        took.append(time.monotonic() - started)

    paced(args.messages, args.interval, post)
    print(
        f"  posting (part of each latency): median {median(took) * 1000:.1f} ms, "
        f"p99 {percentile(took, 0.99) * 1000:.1f} ms"
    )


def publish_messages(args: argparse.Namespace) -> None:
    import redis

    publisher = redis.Redis.from_url(os.environ["REDIS_URL"])
    # The shape and size of the chat path's frame, so both clients decode the same JSON.
    shape = {
        "type": "chat.message", "room": "lounge", "id": 0,
        "author": {"id": "00000000-0000-0000-0000-000000000000", "name": "Moderator 1a2b3c"},
        "body": "", "body_html": "", "created_at": "2026-12-03T13:00:00.000000Z",
        "edited_at": None, "deleted": False, "removed_by_moderator": False,
    }  # fmt: skip

    def send(body: str) -> None:
        shape["body"], shape["body_html"] = body, f"<p>{body}</p>"
        shape["id"] = int(body.split()[0]) + 1
        publisher.publish(RAW_CHANNEL, json.dumps(shape))

    paced(args.messages, args.interval, send)


# --- The run --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start") from None
            time.sleep(0.1)


LOG = open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "ab")  # noqa: SIM115


def start_redis(clients: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--maxclients", str(clients + 1000)],
        stdout=LOG, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_for_port(port, process, "redis-server")
    return f"redis://127.0.0.1:{port}/0", process


def start_servers(
    count: int, env: dict[str, str]
) -> tuple[list[int], list[subprocess.Popen[bytes]]]:
    ports, processes = [], []
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
    for port, process in zip(ports, processes, strict=True):
        wait_for_port(port, process, "daphne")
    return ports, processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)


def database_url(settings_dict: dict[str, Any]) -> str:
    db = settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'] or '')}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def main() -> None:
    # A timeout's SIGTERM unwinds through the finally blocks, so the servers stop too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=200)
    # Ten messages a second into one room of a thousand is a busy room; at twenty, on two
    # cores shared by clients, servers and databases, the machine itself saturates.
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between posts")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for stragglers")
    parser.add_argument("--send", choices=["post", "publish"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send == "post":
        post_messages(args)
        return
    if args.send == "publish":
        publish_messages(args)
        return

    sender_args = ["--messages", str(args.messages), "--interval", str(args.interval)]
    redis_url, redis_server = start_redis(2 * args.sockets)
    try:
        os.environ["REDIS_URL"] = redis_url
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
        chat_result = run_chat(args, sender_args)
        raw_tally = asyncio.run(
            measure(
                args.sockets,
                lambda tally: (
                    lambda n, ready: asyncio.get_running_loop().create_connection(
                        lambda: RawClient(tally, ready),
                        "127.0.0.1",
                        int(redis_url.split(":")[2].split("/")[0]),
                    )
                ),
                [sys.executable, __file__, "--send", "publish", *sender_args],
                args.messages,
                args.drain,
                [redis_server.pid],
            )
        )
        raw_result = report("raw", raw_tally)
    finally:
        stop([redis_server])

    print(
        f"ratio chat/raw: p50 {chat_result['p50'] / raw_result['p50']:.1f}x, "
        f"p99 {chat_result['p99'] / raw_result['p99']:.1f}x, "
        f"deliveries/s {chat_result['rate'] / raw_result['rate']:.2f}x "
        f"(target: p99 within 3x at 1,000 sockets, 0 lost)"
    )
    if chat_result["lost"] or raw_result["lost"]:
        raise SystemExit(f"lost: chat {chat_result['lost']}, raw {raw_result['lost']}")


def run_chat(args: argparse.Namespace, sender_args: list[str]) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).parent))
    from _django import setup_django, throwaway_database

    setup_django()
    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client

    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    with throwaway_database():
        from accounts.models import User
        from accounts.roles import Role
        from accounts.services.users import user_grant_role
        from community.services import chat

        chat.standing_rooms_open()
        poster = User.objects.create_user(email="poster@example.com", password="x")
        user_grant_role(user=poster, role=Role.MODERATOR)
        reader = User.objects.create_user(email="reader@example.com", password="x")
        browser = Client()
        browser.force_login(reader)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        env = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "DEBUG": "false",
        }
        connections.close_all()
        print(f"{args.sockets} sockets, {args.messages} messages, {args.servers} daphne processes")
        ports, servers = start_servers(args.servers, env)
        try:

            def connect(tally: Tally) -> Callable[[int, asyncio.Future[None]], Any]:
                def open_one(n: int, ready: asyncio.Future[None]) -> Any:
                    port = ports[n % len(ports)]
                    return asyncio.get_running_loop().create_connection(
                        lambda: ChatClient(f"127.0.0.1:{port}", cookie, tally, ready),
                        "127.0.0.1",
                        port,
                    )

                return open_one

            os.environ["DATABASE_URL"] = env["DATABASE_URL"]
            tally = asyncio.run(
                measure(
                    args.sockets,
                    connect,
                    [sys.executable, __file__, "--send", "post", *sender_args],
                    args.messages,
                    args.drain,
                    [server.pid for server in servers],
                )
            )
            return report("chat", tally)
        finally:
            stop(servers)


if __name__ == "__main__":
    main()
