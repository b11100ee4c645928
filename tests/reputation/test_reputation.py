from __future__ import annotations

from typing import Any

import pytest

from core.models import AppendOnlyError
from ledger.models import Leaf
from reputation import conf, scoring
from reputation.models import ReputationEvent
from reputation.selectors.standing import has_privilege, user_level
from reputation.services.events import event_record


@pytest.mark.parametrize(
    ("positive", "total", "expected"),
    [
        (0, 0, 0.0),  # no evidence, no reputation
        (1, 1, 0.2065),  # one good outcome proves little
        (95, 100, 0.8882),  # much evidence, high share
        (50, 100, 0.4038),  # a coin flip
    ],
)
def test_wilson_lower_bound(positive: float, total: float, expected: float) -> None:
    assert scoring.wilson_lower_bound(positive, total) == pytest.approx(expected, abs=1e-4)


def test_the_rules_follow_a_changed_setting(settings: Any) -> None:
    assert conf.rules().half_life_days == 180
    settings.REPUTATION_HALF_LIFE_DAYS = 90
    settings.REPUTATION_DAILY_GAIN_CAP = 5
    assert (conf.rules().half_life_days, conf.rules().daily_gain_cap) == (90, 5000)


def test_more_evidence_at_the_same_share_scores_higher() -> None:
    assert scoring.wilson_lower_bound(9, 10) < scoring.wilson_lower_bound(90, 100)


@pytest.mark.django_db
def test_events_raise_the_level_and_log_the_change(user: Any) -> None:
    assert user_level(user=user) == 1
    for n in range(12):
        event_record(user=user, source="gold", positive=True, subject=f"tasks.answer:{n}")
    assert user_level(user=user) == 2
    [entry] = Leaf.objects.filter(kind="reputation.change")
    assert '"level":2' in entry.data
    assert user.email not in entry.data
    assert str(user.public_id) not in entry.data
    with pytest.raises(AppendOnlyError):
        ReputationEvent.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"source": "bribe"}, "source"),  # not a source of evidence
        ({"weight": 0}, "weight"),  # weightless evidence
        ({"weight": 100}, "weight"),  # one event must not decide a reputation
    ],
)
def test_bad_events_are_refused(user: Any, kwargs: dict[str, Any], field: str) -> None:
    arguments = {"user": user, "source": "gold", "positive": True, "subject": "x:1", **kwargs}
    with pytest.raises(ValueError, match=f"^{field}:"):
        event_record(**arguments)
    assert ReputationEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "privilege", "expected"),
    [
        (1, "review_peers", False),  # a newcomer reviews nobody
        (2, "review_peers", True),
        (2, "host_workshops", False),  # hosting needs the top level
        (4, "host_workshops", True),
        (3, "validator_candidate", True),
    ],
)
def test_has_privilege_follows_the_level_table(
    user: Any, level: int, privilege: str, expected: bool
) -> None:
    from reputation.models import ReputationScore

    ReputationScore.objects.create(user=user, level=level)
    assert has_privilege(user, privilege) is expected


@pytest.mark.django_db
def test_has_privilege_refuses_an_unknown_name(user: Any) -> None:
    with pytest.raises(ValueError, match="unknown privilege"):
        has_privilege(user, "fly")
