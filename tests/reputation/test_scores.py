"""Incremental scores (event_record) against the rebuild from events (scores_recompute)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import Leaf
from reputation import scoring
from reputation.models import ReputationDay, ReputationEvent, ReputationScore
from reputation.services.batches import batch_commit
from reputation.services.events import event_record
from reputation.services.scores import scores_recompute

BASE = datetime(2026, 1, 5, 12, tzinfo=UTC)


def _snapshot() -> dict[int, tuple[Any, ...]]:
    return {
        score.user_id: (
            int(score.positive_scaled),
            int(score.total_scaled),
            score.score,
            score.level,
            score.as_of_day,
        )
        for score in ReputationScore.objects.all()
    }


def _days() -> list[tuple[Any, ...]]:
    return list(
        ReputationDay.objects.order_by("user_id", "day").values_list(
            "user_id", "day", "gained", "lost", "positive", "total", "candidate"
        )
    )


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),  # person
            st.integers(min_value=0, max_value=40),  # day offset
            st.booleans(),
            st.sampled_from([0.25, 1.0, 2.5, 10.0]),
            st.integers(min_value=0, max_value=23),  # hour: order within the day
        ),
        min_size=1,
        max_size=60,
    )
)
def test_incremental_scores_equal_the_rebuild(user_factory: Any, stream: list[Any]) -> None:
    people = [user_factory() for _ in range(3)]
    stream = sorted(stream, key=lambda event: event[1])
    for person, offset, positive, weight, hour in stream:
        event_record(
            user=people[person],
            source="gold" if positive else "penalty",
            positive=positive,
            subject="tasks.answer:1",
            weight=weight,
            at=BASE + timedelta(days=offset, hours=hour - 12),
        )
    last_day = max(scoring.day_number(BASE + timedelta(days=e[1], hours=e[4] - 12)) for e in stream)
    # Bring every stored standing to the same day through the incremental path's own code
    # (one more event-free evaluation), then rebuild from the events at that day.
    stored = _snapshot()
    days_before = _days()
    report = scores_recompute(day=last_day)
    assert report.differed == []
    assert _days() == days_before
    for user_id, (positive, total, score, level, as_of) in stored.items():
        after = _snapshot()[user_id]
        assert after[:2] == (positive, total)
        if as_of == last_day:
            assert after[2:] == (score, level, as_of)


@pytest.mark.django_db
def test_recompute_command_reports_and_corrects_a_tampered_score(user: Any) -> None:
    for n in range(12):
        event_record(user=user, source="gold", positive=True, subject=f"tasks.answer:{n}")
    out = StringIO()
    call_command("reputation_recompute", stdout=out)
    assert "0 differed" in out.getvalue()
    ReputationScore.objects.filter(user=user).update(total_scaled=1, level=4)
    out = StringIO()
    call_command("reputation_recompute", stdout=out)
    assert f"differed: user {user.public_id}" in out.getvalue()
    score = ReputationScore.objects.get(user=user)
    assert score.level == 2
    assert ReputationScore.objects.get(user=user).total == 12.0


@pytest.mark.django_db
def test_gains_past_the_daily_cap_count_tomorrow(user: Any, settings: Any) -> None:
    settings.REPUTATION_DAILY_GAIN_CAP = 5
    for n in range(8):
        event_record(user=user, source="gold", positive=True, subject=f"tasks.answer:{n}", at=BASE)
    assert ReputationScore.objects.get(user=user).total == 5.0
    event_record(
        user=user, source="gold", positive=False, subject="x:1", at=BASE + timedelta(days=1)
    )
    assert ReputationEvent.objects.filter(user=user).count() == 9
    assert scores_recompute(day=scoring.day_number(BASE) + 1).differed == []


@pytest.mark.django_db
def test_evidence_may_not_land_on_a_closed_day(user: Any) -> None:
    event_record(user=user, source="gold", positive=True, subject="x:1", at=BASE)
    with pytest.raises(ValueError, match=r"^at:"):
        event_record(
            user=user, source="gold", positive=True, subject="x:2", at=BASE - timedelta(days=1)
        )
    assert ReputationEvent.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_an_event_is_voided_at_most_once(user: Any) -> None:
    event_record(user=user, source="penalty", positive=False, subject="x:1", reason="spam")
    penalty = ReputationEvent.objects.get(user=user)
    overturn = {"source": "penalty", "positive": True, "subject": "x:1", "reason": "overturned"}
    event_record(user=user, voids=penalty, **overturn)
    with pytest.raises(IntegrityError), transaction.atomic():
        event_record(user=user, voids=penalty, **overturn)
    assert ReputationEvent.objects.filter(voids=penalty).count() == 1
    assert scores_recompute().differed == []


@pytest.mark.django_db
def test_a_daily_recompute_demotes_after_the_grace_period_and_logs_it(user: Any) -> None:
    for n in range(12):
        event_record(user=user, source="gold", positive=True, subject=f"x:{n}", at=BASE)
    assert ReputationScore.objects.get(user=user).level == 2
    start = scoring.day_number(BASE)
    scores_recompute(day=start + 60)  # below since day 48, still within grace
    assert ReputationScore.objects.get(user=user).level == 2
    report = scores_recompute(day=start + 62)
    assert report.level_changes == 1
    assert ReputationScore.objects.get(user=user).level == 1
    last = Leaf.objects.filter(kind="reputation.change").order_by("-index").first()
    assert last is not None
    assert '"delta":-1' in last.data


@pytest.mark.django_db
def test_a_daily_recompute_stores_everyone_s_decayed_standing(user_factory: Any) -> None:
    people = [user_factory() for _ in range(3)]
    for n, person in enumerate(people):
        for k in range(15 + 10 * n):
            event_record(user=person, source="gold", positive=k % 4 != 0, subject=f"x:{k}", at=BASE)
    later = scoring.day_number(BASE) + 200
    assert scores_recompute(day=later).differed == []
    for score in ReputationScore.objects.filter(user__in=people):
        expected = scoring.standing_at(
            int(score.positive_scaled), int(score.total_scaled), later, scoring.Rules()
        )
        assert (score.score, score.total, score.as_of_day) == (*expected, later)
        assert score.total < 15  # decayed: more than one half-life since the events


@pytest.mark.django_db
def test_batches_commit_the_event_feed_to_the_log(user: Any) -> None:
    for n in range(3):
        event_record(user=user, source="gold", positive=True, subject=f"x:{n}")
    batch = batch_commit()
    assert batch is not None
    assert batch.count == 3
    assert batch_commit() is None
    leaf = Leaf.objects.get(index=batch.leaf_index)
    assert leaf.kind == "reputation.batch"
    assert batch.root in leaf.data
    assert str(user.public_id) not in leaf.data
