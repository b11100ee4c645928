"""Reputation scoring, pure: a lower confidence bound on the share of good outcomes.

A raw average would rank one lucky answer (1/1 = 100%) above 95 good answers out of 100;
the Wilson lower bound asks "how good is this person at least, with 95% confidence", so
evidence counts as much as the ratio (the approach Stack Exchange and Reddit popularised).
Outcomes carry weights (a peer review may count less than a gold answer), so the bound is
taken over weighted counts.
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054

# (minimum weighted evidence, minimum score) for each level above 1, in increasing order.
LEVELS: tuple[tuple[float, float], ...] = (
    (10.0, 0.60),  # level 2: reviewer of peers
    (50.0, 0.75),  # level 3: validator-eligible, higher-level projects
    (200.0, 0.85),  # level 4: trusted
)


# The one table of what each level unlocks; `reputation.selectors.has_privilege` reads it.
PRIVILEGES: dict[str, int] = {
    "review_peers": 2,
    "validator_candidate": 3,
    "work_higher_level_projects": 3,
    "host_workshops": 4,
    "weighted_flags": 4,
}


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
