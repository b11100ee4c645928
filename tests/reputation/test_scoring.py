"""The pure rules of reputation.scoring: Wilson values, decay, the daily cap, grace."""

from __future__ import annotations

import random
from decimal import Decimal, getcontext
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reputation import scoring

RULES = scoring.Rules()

# Wilson (1927) score interval, lower end, z = 1.959964 (two-sided 95%). The first four rows
# are the worked examples of Newcombe, "Two-sided confidence intervals for the single
# proportion: comparison of seven methods", Statistics in Medicine 17 (1998), Table I,
# method 3, published to 4 decimals: 81/263 -> 0.2553, 15/148 -> 0.0624, 0/20 -> 0.0000,
# 1/29 -> 0.0061. The 6-decimal values were computed independently of the code under test
# by solving (p - q)^2 = z^2 q (1 - q) / n for its smaller root with 60-digit decimals
# (`_reference_lower_bound` below) and agree with Newcombe's published digits; 1/1 and
# 95/100 are Evan Miller's "How not to sort by average rating" style examples.
WILSON_TABLE = [
    (81, 263, 0.255289, 0.2553),
    (15, 148, 0.062386, 0.0624),
    (0, 20, 0.000000, 0.0000),
    (1, 29, 0.006113, 0.0061),
    (1, 1, 0.206549, None),
    (95, 100, 0.888250, None),
    (50, 100, 0.403832, None),
    (9, 10, 0.595850, None),
    (90, 100, 0.825634, None),
    (1000, 1000, 0.996173, None),
]


def _reference_lower_bound(positive: int, total: int) -> Decimal:
    getcontext().prec = 60
    z = Decimal(repr(NormalDist().inv_cdf(0.975)))
    n, share = Decimal(total), Decimal(positive) / Decimal(total)
    a = 1 + z * z / n
    b = -(2 * share + z * z / n)
    c = share * share
    return (-b - (b * b - 4 * a * c).sqrt()) / (2 * a)


@pytest.mark.parametrize(("positive", "total", "six_places", "published"), WILSON_TABLE)
def test_wilson_matches_the_reference_table_to_six_decimals(
    positive: int, total: int, six_places: float, published: float | None
) -> None:
    value = scoring.wilson_lower_bound(positive, total)
    assert round(value, 6) == six_places
    assert abs(float(_reference_lower_bound(positive, total)) - value) < 5e-12
    if published is not None:
        assert round(value, 4) == published


def test_weights_are_whole_thousandths() -> None:
    assert scoring.weight_milli(0.25) == 250
    assert scoring.weight_milli(10) == 10_000
    for bad in (0, -1, 10.001, 0.0001, 1e9):
        with pytest.raises(ValueError, match=r"^weight:"):
            scoring.weight_milli(bad)


def test_an_event_counts_half_after_one_half_life() -> None:
    day = 1000
    totals = scoring.DayTotals()
    totals.add(day=day, positive=True, milli=10_000, voided_day=None, rules=RULES)
    positive, total = totals.contribution(day, RULES)
    _, evidence_then = scoring.standing_at(positive, total, day, RULES)
    _, evidence_later = scoring.standing_at(positive, total, day + 180, RULES)
    assert evidence_then == 10.0
    assert evidence_later == 5.0


def test_gains_above_the_daily_cap_do_not_count_but_losses_do() -> None:
    totals = scoring.DayTotals()
    for _ in range(30):
        totals.add(day=5, positive=True, milli=1000, voided_day=None, rules=RULES)
    capped = totals.contribution(5, RULES)
    totals.add(day=5, positive=False, milli=1000, voided_day=None, rules=RULES)
    positive, total = totals.contribution(5, RULES)
    assert positive == capped[0] == scoring.scaled(RULES.daily_gain_cap, 5, RULES)
    assert total == capped[1] + scoring.scaled(1000, 5, RULES)


def test_a_void_takes_back_exactly_what_the_voided_event_added() -> None:
    events = [
        scoring.EventFact(1, "a", 10, True, 1000),
        scoring.EventFact(2, "a", 10, False, 3000),
        scoring.EventFact(3, "a", 30, True, 2000),
    ]
    without = scoring.rebuild_all([events[0], events[2]], 40, RULES)["a"]
    voided = scoring.rebuild_all([*events, scoring.EventFact(4, "a", 35, True, 3000, 2)], 40, RULES)
    assert (voided["a"].positive, voided["a"].total) == (without.positive, without.total)


def _promoted_then_silent() -> dict[int, scoring.DayTotals]:
    totals = scoring.DayTotals()
    for _ in range(12):
        totals.add(day=0, positive=True, milli=1000, voided_day=None, rules=RULES)
    return {0: totals}


def test_promotion_is_immediate_and_demotion_waits_out_the_grace_period() -> None:
    days = _promoted_then_silent()
    assert scoring.replay(days, 0, RULES).level == 2
    # Decay takes the evidence under the level-2 minimum of 10 on day 48 (12 * 2^(-d/180)).
    first_below = next(day for day in range(400) if scoring.replay(days, day, RULES).evidence < 10)
    last_day_at_two = first_below - 1
    for day in range(first_below, last_day_at_two + RULES.grace_days + 1):
        assert scoring.replay(days, day, RULES).level == 2, day
    assert scoring.replay(days, last_day_at_two + RULES.grace_days + 1, RULES).level == 1


def test_the_next_level_is_counted_in_good_outcomes() -> None:
    assert scoring.gains_to_next_level(positive=0, total=0, level=1) == 10
    assert scoring.gains_to_next_level(positive=0, total=0, level=4) is None


# A stream: (person, day offset, positive, weight in milli), in any order within a day.
event_streams = st.lists(
    st.tuples(
        st.sampled_from(["p", "q", "r"]),
        st.integers(min_value=0, max_value=60),
        st.booleans(),
        st.sampled_from([250, 1000, 2500, 10_000]),
    ),
    max_size=120,
)


def _incremental(
    stream: list[tuple[str, int, bool, int]], today: int
) -> dict[str, tuple[int, int, int]]:
    """The same walk the service does, one event at a time, in the stream's order."""
    sums: dict[str, tuple[int, int]] = {}
    rows: dict[str, dict[int, tuple[scoring.DayTotals, scoring.DayClose]]] = {}
    for person, day, positive, milli in stream:
        mine = rows.setdefault(person, {})
        totals = mine[day][0] if day in mine else scoring.DayTotals()
        old = totals.contribution(day, RULES)
        totals.add(day=day, positive=positive, milli=milli, voided_day=None, rules=RULES)
        new = totals.contribution(day, RULES)
        p, t = sums.get(person, (0, 0))
        p, t = p + new[0] - old[0], t + new[1] - old[1]
        sums[person] = (p, t)
        mine[day] = (totals, scoring.DayClose(day, p, t, scoring.candidate_level(p, t, day, RULES)))
    return {
        person: (
            p,
            t,
            scoring.level_on(
                today,
                current=(p, t),
                history=[close for _, close in rows[person].values()],
                rules=RULES,
            ),
        )
        for person, (p, t) in sums.items()
    }


@settings(max_examples=200, deadline=None)
@given(event_streams, st.randoms(use_true_random=False))
def test_incremental_equals_rebuild_in_any_order_within_a_day(
    stream: list[tuple[str, int, bool, int]], shuffle: random.Random
) -> None:
    base = 2000
    ordered = sorted(((p, base + d, pos, m) for p, d, pos, m in stream), key=lambda e: e[1])
    today = base + 70
    facts = [scoring.EventFact(n, *event) for n, event in enumerate(ordered)]
    rebuilt = scoring.rebuild_all(facts, today, RULES)
    assert _incremental(ordered, today) == {
        person: (state.positive, state.total, state.level) for person, state in rebuilt.items()
    }
    by_day: dict[int, list[tuple[str, int, bool, int]]] = {}
    for event in ordered:
        by_day.setdefault(event[1], []).append(event)
    reshuffled = []
    for day in sorted(by_day):
        shuffle.shuffle(by_day[day])
        reshuffled.extend(by_day[day])
    assert _incremental(reshuffled, today) == _incremental(ordered, today)
    shuffled_facts = list(facts)
    shuffle.shuffle(shuffled_facts)
    again = scoring.rebuild_all(shuffled_facts, today, RULES)
    assert {p: (s.score, s.level) for p, s in again.items()} == {
        p: (s.score, s.level) for p, s in rebuilt.items()
    }


@settings(max_examples=300)
@given(
    st.integers(min_value=0, max_value=5000),
    st.floats(min_value=-5, max_value=400, allow_nan=False),
    st.floats(min_value=0, max_value=1.2, allow_nan=False),
)
def test_the_candidate_level_is_the_level_of_the_standing(
    day: int, evidence: float, share: float
) -> None:
    unit = 2.0 ** (day / RULES.half_life_days) * scoring.MILLI * scoring.SCALE
    total = int(evidence * unit)
    positive = int(total * share)
    score, decayed = scoring.standing_at(positive, total, day, RULES)
    assert scoring.candidate_level(positive, total, day, RULES) == scoring.level_for(
        score=score, evidence=decayed
    )
