"""tools/verify_ledger.py, run as an outsider would: its own process, over HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger import services
from tests.ledger.helpers import decision_payload, export_payload

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_ledger.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def published_log(transactional_db: None) -> None:
    services.entries_record(entries=[("dataset.export", export_payload(n)) for n in range(9)])
    services.tree_head_publish()
    services.entry_record(kind="kyc.decision", payload=decision_payload())
    services.tree_head_publish()
    services.entries_record(entries=[("dataset.export", export_payload(n)) for n in range(40, 45)])
    services.tree_head_publish()


def test_script_checks_head_entries_and_consistency(live_server: Any, published_log: None) -> None:
    result = run(live_server.url, "--index", "3", "--index", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    signed tree head: size 16" in result.stdout
    assert "ok    entry 10 (kyc.decision) is in the signed tree" in result.stdout
    assert result.stdout.count("is append-only") == 2
    assert "all checks passed" in result.stdout


def test_script_fails_for_an_unpublished_old_size(live_server: Any, published_log: None) -> None:
    result = run(live_server.url, "--old-size", "4")
    assert result.returncode == 1
    assert "FAIL  no published head of size 4" in result.stdout


def test_script_uses_no_platform_code() -> None:
    source = SCRIPT.read_text()
    assert "import django" not in source
    assert "from ledger" not in source
    assert "from pioneer_platform" not in source
