"""Next item, answers, skip, expiry, gold scoring and credits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import Conflict
from tasks import selectors, statements
from tasks.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    Credit,
    GoldScore,
    ImmutableError,
    Item,
)
from tasks.services.feed import assignment_answer, assignment_skip, item_claim_next
from tasks.services.projects import project_create, project_pause, project_publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["statement", "orm"])
def feed_path(request: Any, monkeypatch: Any) -> str:
    """Every test here runs on both of the feed's paths: the one-statement PostgreSQL path
    and the ORM path (SQLite's, and PostgreSQL's for everything uncommon)."""
    from django.db import connection

    if request.param == "statement" and connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    if request.param == "orm":
        monkeypatch.setattr(statements, "available", lambda: False)
    return str(request.param)


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def claim(project: Any, person: Any) -> Assignment | None:
    result = item_claim_next(project=project, pioneer=person)
    return result.assignment if result else None


def answer(assignment: Assignment, person: Any, value: Any = "cat") -> Answer:
    return assignment_answer(assignment=assignment, pioneer=person, value=value)


def test_next_then_answer_over_the_api(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=1, reward=4)
    api = client_for(pioneer)
    response = api.post(f"/api/v1/projects/{project.public_id}/next/")
    assert response.status_code == 201
    body = response.json()
    assert body["item"]["payload"] == {"text": "item 0"}
    assert set(body["item"]) == {"id", "payload"}  # nothing that would tell gold apart
    again = api.post(f"/api/v1/projects/{project.public_id}/next/")
    assert again.status_code == 200  # the live reservation, not a second item
    assert again.json()["id"] == body["id"]

    response = api.post(f"/api/v1/assignments/{body['id']}/answer/", {"value": "dog"})
    assert response.status_code == 201, response.json()
    assert set(response.json()) == {"assignment", "value", "created_at"}
    assert Answer.objects.get().value == "dog"
    assert api.post(f"/api/v1/projects/{project.public_id}/next/").status_code == 204
    credits = api.get("/api/v1/credits/").json()
    assert credits["balance"] == 4
    assert credits["results"][0]["points"] == 4


def test_never_beyond_overlap_and_never_the_same_item_twice(
    make_project: Any, pioneers: Any
) -> None:
    project = make_project(items=2, overlap=2)
    people = pioneers(5)
    taken = [claim(project, person) for person in people]
    got = [a for a in taken if a is not None]
    assert len(got) == 4  # 2 items x overlap 2, counting live reservations
    per_item: dict[int, set[int]] = {}
    for assignment in got:
        per_item.setdefault(assignment.item_id, set()).add(assignment.pioneer_id)
    assert all(len(holders) == 2 for holders in per_item.values())
    # The first pioneer answers, then asks again: the other item, never the one they had.
    first = got[0]
    answer(first, people[0])
    second = claim(project, people[0])
    assert second is None or second.item_id != first.item_id
    assert Item.objects.filter(project=project, open_slots__lt=0).count() == 0


def test_skip_returns_the_item_but_not_to_the_same_pioneer(
    make_project: Any, pioneers: Any
) -> None:
    project = make_project(items=1, overlap=1)
    first, second = pioneers(2)
    assignment = claim(project, first)
    assert assignment is not None
    assert claim(project, second) is None  # the only slot is reserved
    assignment_skip(assignment=assignment, pioneer=first)
    assert claim(project, first) is None  # never offered again to who skipped it
    assert claim(project, second) is not None


def test_expired_reservations_are_reclaimed_lazily(make_project: Any, pioneers: Any) -> None:
    project = make_project(items=1, overlap=1)
    first, second = pioneers(2)
    assignment = claim(project, first)
    assert assignment is not None
    Assignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now())
    got = claim(project, second)
    assert got is not None
    assert got.item_id == assignment.item_id
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.EXPIRED


def test_a_pioneer_whose_reservation_ran_out_gets_a_new_item_at_once(
    make_project: Any, pioneer: Any
) -> None:
    project = make_project(items=2, overlap=1)
    first = claim(project, pioneer)
    assert first is not None
    Assignment.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    second = claim(project, pioneer)
    assert second is not None
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.status == AssignmentStatus.EXPIRED
    # Its slot went back to the pool, and the new reservation took the other item's.
    assert Item.objects.get(pk=first.item_id).open_slots == 1
    assert Item.objects.get(pk=second.item_id).open_slots == 0
    with pytest.raises(Conflict):
        answer(first, pioneer)
    answer(second, pioneer)


def test_a_paused_pioneer_cannot_answer_but_can_give_the_item_back(
    make_project: Any, pioneer: Any
) -> None:
    from core.errors import Forbidden

    project = make_project(items=1, overlap=1)
    held = claim(project, pioneer)
    assert held is not None
    GoldScore.objects.create(
        project=project, pioneer=pioneer, seen=5, correct=0, paused_at=timezone.now()
    )
    with pytest.raises(Forbidden):
        answer(held, pioneer)
    assert not Answer.objects.exists()
    assignment_skip(assignment=held, pioneer=pioneer)
    assert Item.objects.get(pk=held.item_id).open_slots == 1  # back in the pool
    with pytest.raises(Forbidden):
        claim(project, pioneer)


def test_the_answer_keeps_the_gold_accuracy_of_its_moment(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=2, overlap=1)
    first = claim(project, pioneer)
    assert first is not None
    assert answer(first, pioneer).gold_accuracy is None  # no gold answered yet
    GoldScore.objects.create(project=project, pioneer=pioneer, seen=4, correct=3)
    second = claim(project, pioneer)
    assert second is not None
    given = answer(second, pioneer)
    assert given.gold_accuracy == pytest.approx(0.75)
    stored = Answer.objects.get(pk=given.pk)
    assert (stored.gold_accuracy, stored.value, stored.created_at) == (
        pytest.approx(0.75),
        given.value,
        given.created_at,
    )
    assert Credit.objects.get(answer=stored).points == project.reward


def test_expired_reservations_are_reclaimed_by_the_sweep(make_project: Any, pioneer: Any) -> None:
    from tasks.tasks import sweep_reservations

    project = make_project(items=3, overlap=1)
    assignment = claim(project, pioneer)
    assert assignment is not None
    Assignment.objects.filter(pk=assignment.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    sweep_reservations.delay()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.EXPIRED
    assert Item.objects.get(pk=assignment.item_id).open_slots == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("horse", "Choose one of"),  # a label outside the set
        (["cat"], "Choose one of"),  # a list for a single-label project
        (None, "may not be null"),  # nothing
    ],
)
def test_invalid_answer_is_a_400_and_changes_nothing(
    make_project: Any, pioneer: Any, value: Any, message: str
) -> None:
    project = make_project(items=1)
    assignment = claim(project, pioneer)
    assert assignment is not None
    response = client_for(pioneer).post(
        f"/api/v1/assignments/{assignment.public_id}/answer/", {"value": value}, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["errors"]["value"][0]
    assert not Answer.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.RESERVED


def test_missing_value_is_a_400(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=1)
    assignment = claim(project, pioneer)
    assert assignment is not None
    response = client_for(pioneer).post(
        f"/api/v1/assignments/{assignment.public_id}/answer/", {}, format="json"
    )
    assert response.status_code == 400
    assert "value" in response.json()["errors"]


@pytest.mark.parametrize(
    ("kind", "extra", "payload", "good", "bad"),
    [
        ("multi_label", {"labels": ["a", "b", "c"]}, {"t": 1}, ["c", "a"], ["a", "z"]),
        ("pairwise", {}, {"a": "x", "b": "y"}, "b", "c"),
        ("rating", {"scale_min": 1, "scale_max": 7}, {"t": 1}, 7, 8),
        ("free_text", {"text_max_length": 5}, {"t": 1}, "short", "too long"),
    ],
)
def test_answers_are_validated_against_the_kind(
    requester: Any,
    pioneer: Any,
    upload: Any,
    kind: str,
    extra: dict[str, Any],
    payload: dict[str, Any],
    good: Any,
    bad: Any,
) -> None:
    project = project_create(owner=requester, title="k", kind=kind, **extra)
    upload(project, [{"payload": payload}])
    project = project_publish(project=project, actor=requester)
    assignment = claim(project, pioneer)
    assert assignment is not None
    api = client_for(pioneer)
    url = f"/api/v1/assignments/{assignment.public_id}/answer/"
    assert api.post(url, {"value": bad}, format="json").status_code == 400
    assert api.post(url, {"value": good}, format="json").status_code == 201


def test_answer_twice_after_expiry_or_for_someone_else_is_refused(
    make_project: Any, pioneers: Any
) -> None:
    project = make_project(items=3, overlap=1)
    owner_of, other = pioneers(2)
    first = claim(project, owner_of)
    assert first is not None
    api = client_for(owner_of)
    url = f"/api/v1/assignments/{first.public_id}/answer/"
    assert api.post(url, {"value": "cat"}).status_code == 201
    twice = api.post(url, {"value": "dog"})
    assert twice.status_code == 409
    assert "already answered" in twice.json()["detail"]

    someone_elses = client_for(other).post(url, {"value": "dog"})
    assert someone_elses.status_code == 404

    late = claim(project, owner_of)
    assert late is not None
    Assignment.objects.filter(pk=late.pk).update(expires_at=timezone.now())
    expired = api.post(f"/api/v1/assignments/{late.public_id}/answer/", {"value": "cat"})
    assert expired.status_code == 409
    assert "expired" in expired.json()["detail"]
    assert Answer.objects.count() == 1
    assert Credit.objects.count() == 1


def test_paused_project_gives_no_items(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=2)
    project_pause(project=project, actor=project.owner)
    response = client_for(pioneer).post(f"/api/v1/projects/{project.public_id}/next/")
    assert response.status_code == 409


def test_gold_items_are_mixed_in_and_scored_at_once(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=5, gold=3, gold_rate=0.5, gold_min_answers=3)
    project.gold_rate = 1.0  # every claim is gold while real work remains (test only)
    assignment = claim(project, pioneer)
    assert assignment is not None
    assert assignment.item.is_gold
    answer(assignment, pioneer, "cat")  # right
    score = GoldScore.objects.get(project=project, pioneer=pioneer)
    assert (score.seen, score.correct, score.accuracy) == (1, 1, 1.0)
    assert Answer.objects.get().gold_accuracy == 1.0
    wrong = claim(project, pioneer)
    assert wrong is not None
    answer(wrong, pioneer, "dog")  # wrong: no credit for it
    assert Credit.objects.filter(pioneer=pioneer).count() == 1
    score.refresh_from_db()
    assert score.accuracy == 0.5
    assert score.paused_at is None  # fewer gold answers than the minimum so far


def test_gold_accuracy_below_threshold_pauses_the_pioneer(
    make_project: Any, pioneer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = make_project(items=5, gold=3, gold_min_answers=2, gold_min_accuracy=0.7)
    project.gold_rate = 1.0
    for _ in range(2):
        assignment = claim(project, pioneer)
        assert assignment is not None
        assert assignment.item.is_gold
        with django_capture_on_commit_callbacks(execute=False):
            answer(assignment, pioneer, "bird")
    score = GoldScore.objects.get(project=project, pioneer=pioneer)
    assert score.paused_at is not None
    response = client_for(pioneer).post(f"/api/v1/projects/{project.public_id}/next/")
    assert response.status_code == 403
    assert "paused" in response.json()["detail"]
    assert not selectors.feed_projects(user=pioneer).filter(pk=project.pk).exists()


def test_no_gold_once_real_work_is_done(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=1, gold=3)
    first = claim(project, pioneer)
    assert first is not None
    assert not first.item.is_gold
    answer(first, pioneer)
    project.gold_rate = 1.0
    # Only gold is left: handing it out would tell the pioneer it is gold.
    assert claim(project, pioneer) is None


def test_credits_are_immutable_and_the_balance_is_their_sum(
    make_project: Any, pioneer: Any
) -> None:
    project = make_project(items=3, reward=2)
    for _ in range(3):
        assignment = claim(project, pioneer)
        assert assignment is not None
        answer(assignment, pioneer)
    assert selectors.credit_balance(user=pioneer) == 6
    credit = Credit.objects.first()
    assert credit is not None
    credit.points = 100
    with pytest.raises(ImmutableError):
        credit.save()
    with pytest.raises(ImmutableError):
        Credit.objects.update(points=0)
    with pytest.raises(ImmutableError):
        Credit.objects.all().delete()
    assert selectors.credit_balance(user=pioneer) == 6


def test_next_on_an_unknown_project_is_a_404(pioneer: Any) -> None:
    api = client_for(pioneer)
    assert (
        api.post("/api/v1/projects/00000000-0000-0000-0000-000000000000/next/").status_code == 404
    )
    assert api.post("/api/v1/assignments/nope/answer/", {"value": "x"}).status_code == 404
