"""Writers and the rebuild at once, on PostgreSQL: nobody deadlocks, nothing drifts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction

from reputation import statements
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


def _second_waits_for_first(
    first: Callable[[], None], second: Callable[[], None], *, first_commits: bool
) -> None:
    """Run `first` in a transaction held open, then `second` in another thread until its
    write waits on the row `first` holds; then `first` commits (or rolls back)."""
    first_wrote, first_may_end = threading.Event(), threading.Event()
    second_pid: list[int] = []
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                first_wrote.set()
                first_may_end.wait(timeout=30)
                transaction.set_rollback(not first_commits)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def run_second() -> None:
        try:
            second_pid.append(_backend_pid())
            first_wrote.wait(timeout=30)
            second()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    assert first_wrote.wait(timeout=30)
    # Reads do not wait (nothing is locked for reading); the second's write waits on the
    # score row the first holds.
    deadline = time.monotonic() + 30
    while not (second_pid and _waits_on_a_lock(second_pid[0])):
        assert time.monotonic() < deadline, "the second write never waited on the row"
    first_may_end.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_a_write_that_lost_the_race_reads_again_and_counts(
    postgres: None, user_factory: Any
) -> None:
    """The second writer read the score before the first committed; its write waits on
    the row, finds it changed, and records the event again on top of the first's."""
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.a:0")

    def first() -> None:
        event_record(user=person, source="gold", positive=False, subject="t.a:1")

    def second() -> None:
        # As another process would: it has not seen the first's write.
        statements.forget()
        event_record(user=person, source="gold", positive=True, subject="t.a:2")

    _second_waits_for_first(first, second, first_commits=True)
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


def _gained(person: Any) -> int:
    """The person's gains of their one day of evidence, in milli."""
    return ReputationDay.objects.get(user=person).gained


def _subjects(person: Any) -> list[str]:
    return sorted(ReputationEvent.objects.filter(user=person).values_list("subject", flat=True))


def test_the_next_event_of_a_person_is_written_without_a_read(
    postgres: None, user_factory: Any, django_assert_num_queries: Any
) -> None:
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.m:0")
    with transaction.atomic(), django_assert_num_queries(1):
        event_record(user=person, source="gold", positive=False, subject="t.m:1")
    statements.forget()
    # A process that did not write the last one reads first.
    with transaction.atomic(), django_assert_num_queries(2):
        event_record(user=person, source="gold", positive=True, subject="t.m:2")
    assert scores_recompute().differed == []
    assert _gained(person) == 2000


def test_new_rules_forget_what_was_remembered(
    postgres: None, user_factory: Any, settings: Any
) -> None:
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.m:0")
    assert statements.recall(database=connection.settings_dict["NAME"], user_id=person.pk)
    settings.REPUTATION_GRACE_DAYS = 30
    assert not statements.recall(database=connection.settings_dict["NAME"], user_id=person.pk)


def test_a_remembered_write_that_rolled_back_is_not_built_on(
    postgres: None, user_factory: Any
) -> None:
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.m:0")
    with transaction.atomic():
        event_record(user=person, source="gold", positive=True, subject="t.m:1")
        transaction.set_rollback(True)  # the decision the event came from failed
    event_record(user=person, source="gold", positive=False, subject="t.m:2")
    assert _subjects(person) == ["t.m:0", "t.m:2"]
    assert scores_recompute().differed == []
    assert _gained(person) == 1000


def test_a_write_made_elsewhere_since_is_not_lost(postgres: None, user_factory: Any) -> None:
    """This process remembers its own last write; another process has written since."""
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.m:0")
    ours = statements.recall(database=connection.settings_dict["NAME"], user_id=person.pk)
    assert ours is not None

    def elsewhere() -> None:
        try:
            event_record(user=person, source="gold", positive=True, subject="t.m:1")
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(timeout=30)
    statements.remember(
        database=connection.settings_dict["NAME"], user_id=person.pk, score=ours[0], days=ours[1]
    )
    event_record(user=person, source="gold", positive=True, subject="t.m:2")
    assert ReputationEvent.objects.filter(user=person).count() == 3
    assert scores_recompute().differed == []
    assert _gained(person) == 3000


def test_a_rebuild_that_corrected_a_score_is_built_on(postgres: None, user_factory: Any) -> None:
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.m:0")
    event_record(user=person, source="gold", positive=True, subject="t.m:1")
    # Evidence edited behind the service's back; the rebuild corrects the stored sums.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reputation_reputationevent SET weight = 2.0 WHERE subject = %s", ["t.m:1"]
        )
    assert scores_recompute().differed == [person.pk]
    event_record(user=person, source="gold", positive=False, subject="t.m:2")
    assert scores_recompute().differed == []
    assert _gained(person) == 3000


def test_a_write_on_an_uncommitted_remembered_version_reads_again_when_it_rolls_back(
    postgres: None, user_factory: Any
) -> None:
    """Another thread of this process wrote and remembered, then rolled back: a write on
    top of its version waits for it, then matches nothing, and reads the row as it is."""
    person = user_factory()
    event_record(user=person, source="gold", positive=True, subject="t.m:0")

    def first() -> None:
        event_record(user=person, source="gold", positive=True, subject="t.m:1")

    def second() -> None:
        event_record(user=person, source="gold", positive=False, subject="t.m:2")

    _second_waits_for_first(first, second, first_commits=False)
    assert _subjects(person) == ["t.m:0", "t.m:2"]
    assert scores_recompute().differed == []
    assert _gained(person) == 1000
