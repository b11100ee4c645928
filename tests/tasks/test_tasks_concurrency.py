"""Real threads, each with its own PostgreSQL connection, racing for items."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tasks.models import Answer, Assignment, Item
from tasks.services.feed import assignment_answer, item_claim_next

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def race(people: list[Any], work: Callable[[Any], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(len(people))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(person: Any) -> None:
        try:
            barrier.wait()
            outcome = work(person)
            with lock:
                results.append(outcome)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_32_threads_one_item_overlap_one_exactly_one_gets_it(
    postgres: None, make_project: Any, pioneers: Any
) -> None:
    project = make_project(items=1, overlap=1)
    people = pioneers(32)
    results, errors = race(people, lambda person: item_claim_next(project=project, pioneer=person))
    assert errors == []
    winners = [claim for claim in results if claim is not None]
    assert len(winners) == 1
    assert Assignment.objects.count() == 1
    assert Item.objects.get(project=project).open_slots == 0


def test_one_pioneer_racing_themselves_gets_one_reservation(
    postgres: None, make_project: Any, pioneer: Any
) -> None:
    project = make_project(items=10, overlap=1)
    results, errors = race(
        [pioneer] * 8, lambda person: item_claim_next(project=project, pioneer=person)
    )
    assert errors == []
    assert len({claim.assignment.pk for claim in results}) == 1
    assert Assignment.objects.filter(pioneer=pioneer).count() == 1
    assert [claim.created for claim in results].count(True) == 1
    # The losers' slots were given back: nine items are still open.
    assert Item.objects.filter(project=project, open_slots=1).count() == 9


def test_32_threads_many_items_overlap_three_no_violations(
    postgres: None, make_project: Any, pioneers: Any
) -> None:
    project = make_project(items=10, overlap=3)
    people = pioneers(32)

    def work(person: Any) -> int:
        taken = 0
        while (claim := item_claim_next(project=project, pioneer=person)) is not None:
            assignment_answer(assignment=claim.assignment, pioneer=person, value="cat")
            taken += 1
        return taken

    results, errors = race(people, work)
    assert errors == []
    assert sum(results) == 30  # every slot filled exactly once
    per_item = Counter(Answer.objects.filter(project=project).values_list("item_id", flat=True))
    assert len(per_item) == 10
    assert set(per_item.values()) == {3}
    pairs = list(Assignment.objects.values_list("item_id", "pioneer_id"))
    assert len(pairs) == len(set(pairs))
