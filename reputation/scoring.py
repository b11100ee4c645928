"""Reputation scoring, pure: a lower confidence bound on the share of good outcomes.

A raw average would rank one lucky answer (1/1 = 100%) above 95 good answers out of 100;
the Wilson lower bound asks "how good is this person at least, with 95% confidence", so
evidence counts as much as the ratio (the approach Stack Exchange and Reddit popularised).
Outcomes carry weights (a peer review may count less than a gold answer), so the bound is
taken over weighted counts.

The rules, once (tools/recompute_reputation.py repeats them for outsiders; keep the two
in step and bump RULE_VERSION when they change):

- Time is counted in whole UTC days since EPOCH. An event's weight halves every
  `half_life_days`: at day D an event of day d counts weight * 2^(-(D - d) / half_life).
- Weights are whole thousandths ("milli"), so sums are integers and exact in any order.
- Per person and day, gains (positive outcomes) count up to `daily_gain_cap` milli; the cap
  applies to the day's sum, so it does not depend on the order the day's events arrive in.
- Stored sums are scaled to the epoch: a day's capped gains g count
  round(g * SCALE * 2^(d / H)) and each loss w counts round(w * SCALE * 2^(d / H)); the
  sums are integers, the same whether they are built one event at a time or all at once,
  and never need re-decaying. The score at day D multiplies them back by 2^(-D / H).
- A voiding event (an overturned penalty) takes away exactly what the voided event added.
- score = Wilson lower bound (95%) of (decayed positive, decayed total), rounded to
  DIGITS decimals; evidence = decayed total, rounded the same way. Nothing else rounds.
- The candidate level of a state is the highest row of LEVELS whose evidence and score it
  meets. The level at day D is the highest candidate among the closing states of days
  D - grace_days .. D - 1 and the current state: promotion is immediate, and a person is
  demoted only after `grace_days` whole days below the level. Closing states are those
  after each day's last event, so the level does not depend on the order within a day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

Z_95 = 1.959963984540054
EPOCH = date(2020, 1, 1)
RULE_VERSION = 1
DIGITS = 6
MILLI = 1000
MAX_WEIGHT_MILLI = 10 * MILLI
# Extra fixed-point digits of the scaled sums, so rounding each day's amount to a whole
# unit moves a score by far less than its last printed digit.
SCALE = 1000

# (minimum weighted evidence, minimum score) for each level above 1, in increasing order.
LEVELS: tuple[tuple[float, float], ...] = (
    (10.0, 0.60),  # level 2: reviewer of peers
    (50.0, 0.75),  # level 3: validator-eligible, higher-level projects
    (200.0, 0.85),  # level 4: trusted
)
TOP_LEVEL = len(LEVELS) + 1
# Below this evidence no level above 1 is met, whatever the score.
_LEAST_EVIDENCE = min(min_evidence for min_evidence, _ in LEVELS)


# The one table of what each level unlocks; `reputation.selectors.standing.has_privilege`
# reads it.
PRIVILEGES: dict[str, int] = {
    "review_peers": 2,
    "validator_candidate": 3,
    "work_higher_level_projects": 3,
    "host_workshops": 4,
    "weighted_flags": 4,
}


@dataclass(frozen=True)
class Rules:
    half_life_days: float = 180.0
    daily_gain_cap: int = 20 * MILLI  # twenty full-weight gains a day
    grace_days: int = 14


def wilson_lower_bound(positive: float, total: float, z: float = Z_95) -> float:
    if total <= 0:
        return 0.0
    if not 0 <= positive <= total:
        raise ValueError("positive must be between 0 and total")
    share = positive / total
    denominator = 1 + z * z / total
    centre = share + z * z / (2 * total)
    margin = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / denominator)


def level_for(*, score: float, evidence: float) -> int:
    level = 1
    for rank, (min_evidence, min_score) in enumerate(LEVELS, start=2):
        if evidence >= min_evidence and score >= min_score:
            level = rank
    return level


def day_number(moment: datetime) -> int:
    """Whole UTC days since EPOCH."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined UTC day")
    return (moment.astimezone(UTC).date() - EPOCH).days


def weight_milli(weight: float) -> int:
    milli = round(weight * MILLI)
    if not 0 < milli <= MAX_WEIGHT_MILLI or abs(weight * MILLI - milli) > 1e-6:
        raise ValueError("weight: must be in (0, 10] in steps of 0.001")
    return milli


def scaled(milli: int, day: int, rules: Rules) -> int:
    """`milli` of day `day` in epoch-scaled units (see the module docstring)."""
    return round(milli * SCALE * 2.0 ** (day / rules.half_life_days))


@dataclass
class DayTotals:
    """One person's evidence of one day: raw gains (capped when counted) and scaled losses."""

    gained: int = 0
    lost: int = 0

    def add(
        self, *, day: int, positive: bool, milli: int, voided_day: int | None, rules: Rules
    ) -> None:
        if voided_day is not None:
            self.lost -= scaled(milli, voided_day, rules)
        elif positive:
            self.gained += milli
        else:
            self.lost += scaled(milli, day, rules)

    def contribution(self, day: int, rules: Rules) -> tuple[int, int]:
        """(scaled positive, scaled total) this day adds to the person's sums."""
        positive = scaled(min(self.gained, rules.daily_gain_cap), day, rules)
        return positive, positive + self.lost


def standing_at(positive: int, total: int, day: int, rules: Rules) -> tuple[float, float]:
    """(score, evidence) at `day` from epoch-scaled sums."""
    factor = 2.0 ** (-day / rules.half_life_days) / (MILLI * SCALE)
    decayed_total = max(0.0, total * factor)
    decayed_positive = min(max(0.0, positive * factor), decayed_total)
    score = wilson_lower_bound(decayed_positive, decayed_total)
    return round(score, DIGITS), round(decayed_total, DIGITS)


def candidate_level(positive: int, total: int, day: int, rules: Rules) -> int:
    """level_for(standing_at(...)), computed the same way step by step, in one call: the
    rebuild takes it for every day of every person."""
    factor = 2.0 ** (-day / rules.half_life_days) / (MILLI * SCALE)
    decayed_total = max(0.0, total * factor)
    evidence = round(decayed_total, DIGITS)
    if evidence < _LEAST_EVIDENCE:
        return 1
    if decayed_total <= 0:
        return level_for(score=0.0, evidence=evidence)
    decayed_positive = min(max(0.0, positive * factor), decayed_total)
    # wilson_lower_bound(decayed_positive, decayed_total), with total > 0 here
    share = decayed_positive / decayed_total
    denominator = 1 + Z_95 * Z_95 / decayed_total
    centre = share + Z_95 * Z_95 / (2 * decayed_total)
    margin = Z_95 * math.sqrt(
        share * (1 - share) / decayed_total + Z_95 * Z_95 / (4 * decayed_total * decayed_total)
    )
    score = round(max(0.0, (centre - margin) / denominator), DIGITS)
    level = 1
    for rank, (min_evidence, min_score) in enumerate(LEVELS, start=2):
        if evidence >= min_evidence and score >= min_score:
            level = rank
    return level


@dataclass(frozen=True)
class DayClose:
    """A person's sums after the last event of `day`, and the candidate level then."""

    day: int
    positive: int
    total: int
    candidate: int


def level_on(
    day: int, *, current: tuple[int, int], history: Iterable[DayClose], rules: Rules
) -> int:
    """The level at `day`. `history` holds the closes of earlier days (at least those of
    the grace window and the last one before it); later ones are ignored."""
    start = day - rules.grace_days
    best = candidate_level(current[0], current[1], day, rules)
    carried: DayClose | None = None
    for close in history:
        if close.day >= day:
            continue
        if close.day >= start:
            best = max(best, close.candidate)
        elif carried is None or close.day > carried.day:
            carried = close
    if carried is not None:
        # Days without events in the window close with the carried sums; of those, the
        # window's first day scores highest, because decay only lowers the bound.
        best = max(best, candidate_level(carried.positive, carried.total, start, rules))
    return best


@dataclass
class Rebuilt:
    positive: int = 0
    total: int = 0
    closes: list[DayClose] = field(default_factory=list)
    score: float = 0.0
    evidence: float = 0.0
    level: int = 1


def replay(days: Mapping[int, DayTotals], today: int, rules: Rules) -> Rebuilt:
    """One person's sums, day closes and standing at `today`, from their day totals."""
    rebuilt = Rebuilt()
    for day in sorted(days):
        if day > today:
            break
        positive, total = days[day].contribution(day, rules)
        rebuilt.positive += positive
        rebuilt.total += total
        rebuilt.closes.append(
            DayClose(
                day,
                rebuilt.positive,
                rebuilt.total,
                candidate_level(rebuilt.positive, rebuilt.total, day, rules),
            )
        )
    rebuilt.score, rebuilt.evidence = standing_at(rebuilt.positive, rebuilt.total, today, rules)
    rebuilt.level = level_on(
        today, current=(rebuilt.positive, rebuilt.total), history=rebuilt.closes, rules=rules
    )
    return rebuilt


@dataclass(frozen=True)
class EventFact:
    """What the rules need of one event (the public feed carries exactly this)."""

    id: int
    person: object
    day: int
    positive: bool
    milli: int
    voids: int | None = None


def rebuild_all(events: Sequence[EventFact], today: int, rules: Rules) -> dict[object, Rebuilt]:
    """Every person's standing at `today` from their events, in any order."""
    days_of: dict[int, int] = {event.id: event.day for event in events}
    per_person: dict[object, dict[int, DayTotals]] = {}
    for event in events:
        voided_day = None
        if event.voids is not None:
            voided_day = days_of[event.voids]
        per_person.setdefault(event.person, {}).setdefault(event.day, DayTotals()).add(
            day=event.day,
            positive=event.positive,
            milli=event.milli,
            voided_day=voided_day,
            rules=rules,
        )
    return {person: replay(days, today, rules) for person, days in per_person.items()}


def gains_to_next_level(*, positive: float, total: float, level: int) -> int | None:
    """How many more full-weight good outcomes (and no bad ones) would reach the next level
    from today's decayed counts, ignoring decay and the daily cap; None at the top."""
    if level >= TOP_LEVEL:
        return None
    needed = 0
    while needed <= 1_000_000:
        score = round(wilson_lower_bound(positive + needed, total + needed), DIGITS)
        if level_for(score=score, evidence=round(total + needed, DIGITS)) > level:
            return needed
        needed += 1 if needed < 100 else max(1, needed // 20)
    return None
