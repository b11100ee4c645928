"""Real threads, each with its own PostgreSQL connection, racing for reviews."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from reputation.models import ReviewAssignment, ReviewRequest
from reputation.services.reviews import review_claim_next, review_submit
from tests.reputation.helpers import request_review, reviewers

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


def test_16_reviewers_at_once_never_share_a_slot(
    postgres: None, user_factory: Any, eager_celery: None
) -> None:
    authors = [user_factory() for _ in range(5)]
    for author in authors:
        request_review(author, needed=3)  # 15 slots for 16 reviewers
    people = reviewers(user_factory, 16)

    results, errors = race(people, lambda person: review_claim_next(reviewer=person))

    assert errors == []
    claims = [claim for claim in results if claim is not None]
    assert len(claims) == 15
    assert len({claim.assignment.pk for claim in claims}) == 15
    per_request = Counter(ReviewAssignment.objects.values_list("request_id", flat=True))
    assert set(per_request.values()) == {3}
    assert set(ReviewRequest.objects.values_list("open_slots", flat=True)) == {0}


def test_16_reviewers_claiming_and_submitting_decide_each_request_once(
    postgres: None, user_factory: Any, eager_celery: None
) -> None:
    authors = [user_factory() for _ in range(8)]
    for author in authors:
        request_review(author, needed=3)
    people = reviewers(user_factory, 16)

    def work(person: Any) -> int:
        done = 0
        while (claim := review_claim_next(reviewer=person)) is not None:
            review_submit(assignment=claim.assignment, reviewer=person, accept=True)
            done += 1
        return done

    results, errors = race(people, work)

    assert errors == []
    assert sum(results) == 24
    assert set(ReviewRequest.objects.values_list("state", flat=True)) == {"decided"}
    pairs = ReviewAssignment.objects.values_list("request_id", "reviewer_id")
    assert len(set(pairs)) == len(pairs) == 24
