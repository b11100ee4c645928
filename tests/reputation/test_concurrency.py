"""Writers and the rebuild at once, on PostgreSQL: nobody deadlocks, nothing drifts."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from reputation.models import ReputationEvent
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
