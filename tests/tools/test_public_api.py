"""The auditing tools against a server that rate limits or fails: they wait as told, or stop
with a message and their own exit status, never a traceback."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def _public_api() -> ModuleType:
    spec = importlib.util.spec_from_file_location("public_api", TOOLS / "public_api.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


public_api = _public_api()


class Stub(BaseHTTPRequestHandler):
    """/limited answers 429 (come back in a second) once, then JSON; /down always 503."""

    seen: Counter[str] = Counter()

    def do_GET(self) -> None:
        self.seen[self.path] += 1
        if self.path.startswith("/limited") and self.seen[self.path] == 1:
            self.send_response(429)
            self.send_header("Retry-After", "1")
            body = b'{"detail": "slow down"}'
        elif self.path.startswith("/down") or self.path.startswith("/api/"):
            self.send_response(503)
            body = b'{"detail": "busy"}'
        else:
            self.send_response(200)
            body = json.dumps({"path": self.path}).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    Stub.seen = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_rate_limit_is_waited_out(stub: str) -> None:
    assert public_api.get_json(stub + "/limited/page") == {"path": "/limited/page"}
    assert Stub.seen["/limited/page"] == 2


def test_an_error_status_is_a_fetch_error_naming_it(stub: str) -> None:
    with pytest.raises(public_api.FetchError, match="HTTP 503"):
        public_api.get_json(stub + "/down")
    assert Stub.seen["/down"] == 1


def test_an_unreachable_server_is_a_fetch_error() -> None:
    with pytest.raises(public_api.FetchError):
        public_api.get_json("http://127.0.0.1:9/nothing-listens-here", timeout=5)


@pytest.mark.parametrize("script", ["verify_ledger.py", "recompute_reputation.py"])
def test_a_tool_stops_with_status_2_when_the_server_cannot_be_read(stub: str, script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(TOOLS / script), stub],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "FAIL  could not read the server:" in result.stdout
    assert "HTTP 503" in result.stdout
    assert "Traceback" not in result.stderr
