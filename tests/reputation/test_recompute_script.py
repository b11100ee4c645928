"""tools/recompute_reputation.py, run as an outsider would: its own process, over HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from ledger import services as ledger_services
from reputation.models import ReputationEvent
from reputation.selectors.feed import person_pseudonym
from reputation.services.batches import batch_commit
from reputation.services.events import event_record

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "recompute_reputation.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def reputation_history(transactional_db: None, user_factory: Any) -> list[Any]:
    people = [user_factory() for _ in range(3)]
    for n, person in enumerate(people):
        for k in range(6 + 4 * n):
            event_record(
                user=person, source="gold", positive=k % 5 != 0, subject=f"t.a:{k}", weight=1.5
            )
    batch_commit()
    event_record(user=people[0], source="workshop", positive=True, subject="c.w:1")
    ledger_services.tree_head_publish()
    return people


def test_the_script_recomputes_every_served_score(
    live_server: Any, reputation_history: list[Any]
) -> None:
    result = run(live_server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the log's leaf" in result.stdout
    assert "1 newer events are not in a batch yet" in result.stdout
    assert "3 people: served scores equal the recomputation" in result.stdout


def test_editing_one_event_row_makes_it_fail(
    live_server: Any, reputation_history: list[Any]
) -> None:
    victim = reputation_history[2]
    event = ReputationEvent.objects.filter(user=victim, positive=False).first()
    assert event is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reputation_reputationevent SET positive = %s WHERE id = %s",
            [True, event.id],
        )
    result = run(live_server.url)
    assert result.returncode == 1
    assert "FAIL  batch of events" in result.stdout  # the log no longer backs the feed
    assert f"FAIL  person {person_pseudonym(victim)}" in result.stdout


def test_script_uses_no_platform_code() -> None:
    source = SCRIPT.read_text()
    for platform in ("django", "reputation", "ledger", "pioneer_platform", "accounts"):
        assert f"import {platform}" not in source
        assert f"from {platform}" not in source
