"""Writers and the rebuild at once, on PostgreSQL: nobody deadlocks, nothing drifts."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from reputation.models import ReputationDay, ReputationEvent, ReputationScore
from reputation.services.events import event_record
from reputation.services.scores import scores_recompute

pytestmark = pytest.mark.django_db(transaction=True)


def test_writers_and_the_rebuild_run_together(postgres: None, user_factory: Any) -> None:
    people = [user_factory() for _ in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(9)

    def write(index: int) -> None:
        try:
            barrier.wait()
            for n in range(25):
                # Two writers per person, so they also queue on the same score row.
                event_record(
                    user=people[index % 6],
                    source="gold",
                    positive=n % 4 != 0,
                    subject=f"t.a:{index}.{n}",
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def rebuild() -> None:
        try:
            barrier.wait()
            for _ in range(4):
                scores_recompute()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    threads.append(threading.Thread(target=rebuild))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert ReputationEvent.objects.count() == 200
    assert scores_recompute().differed == []


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [pid]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def test_a_write_that_lost_the_race_reads_again_and_counts(
    postgres: None, user_factory: Any
) -> None:
    """The second writer read the score before the first committed; its write waits on
    the row, finds it changed, and records the event again on top of the first's."""
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.a:0")
    first_wrote, first_may_commit = threading.Event(), threading.Event()
    second_pid: list[int] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                event_record(user=person, source="gold", positive=False, subject="t.a:1")
                first_wrote.set()
                first_may_commit.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            second_pid.append(_backend_pid())
            first_wrote.wait(timeout=30)
            event_record(user=person, source="gold", positive=True, subject="t.a:2")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_wrote.wait(timeout=30)
    # The second writer's read does not wait (nothing is locked for reading); its write
    # waits on the score row the first holds.
    deadline = time.monotonic() + 30
    while not (second_pid and _waits_on_a_lock(second_pid[0])):
        assert time.monotonic() < deadline, "the second write never waited on the row"
    first_may_commit.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert ReputationEvent.objects.filter(user=person).count() == 3
    score = ReputationScore.objects.get(user=person)
    report = scores_recompute()
    assert report.differed == []
    score.refresh_from_db()
    day = ReputationDay.objects.get(user=person)
    assert (day.gained, int(day.positive), int(day.total)) == (
        2000,
        int(score.positive_scaled),
        int(score.total_scaled),
    )
