"""Peer review, pure: reason codes, reviewer weights, the weighted majority and ring detection.

No Django import, so the rules can be tested with tables and read by anyone checking an
outcome. `reputation.services.reviews` applies them to rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

# What a reviewer may say, and why. A rejection needs at least one reason, so the author
# learns what to do differently; an acceptance may give one.
ACCEPT_REASONS: dict[str, str] = {
    "follows_instructions": "Follows the instructions",
    "accurate": "Accurate",
    "clear": "Clear and well written",
}
REJECT_REASONS: dict[str, str] = {
    "ignores_instructions": "Does not follow the instructions",
    "inaccurate": "Inaccurate or wrong",
    "incomplete": "Incomplete",
    "low_effort": "Low effort or copied",
    "off_topic": "Off topic",
    "inappropriate": "Inappropriate content",
}
REASONS: dict[str, str] = {**ACCEPT_REASONS, **REJECT_REASONS}
COMMENT_MAX_LENGTH = 1000

# Reviews per request, and how far a tie may add more before acceptance wins it.
DEFAULT_REVIEWS = 3
MAX_REVIEWS = 5
# The same reviewer reviews the same author at most this often in the window.
PAIR_LIMIT = 3
PAIR_WINDOW_DAYS = 30


class ReviewInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_review(accept: Any, reason_codes: Any, comment: Any) -> tuple[bool, list[str], str]:
    """The canonical verdict, reasons (deduplicated, in table order) and comment, or
    ReviewInputError naming the field."""
    if not isinstance(accept, bool):
        raise ReviewInputError("accept", "Say true (accept) or false (reject).")
    if reason_codes is None:
        reason_codes = []
    if not isinstance(reason_codes, list) or not all(isinstance(c, str) for c in reason_codes):
        raise ReviewInputError("reason_codes", "Give the reasons as a list of codes.")
    allowed = ACCEPT_REASONS if accept else REJECT_REASONS
    unknown = [code for code in reason_codes if code not in allowed]
    if unknown:
        verdict = "an acceptance" if accept else "a rejection"
        raise ReviewInputError(
            "reason_codes",
            f"Not a reason for {verdict}: {unknown[0]!r}. Choose from: {', '.join(allowed)}.",
        )
    if not accept and not reason_codes:
        raise ReviewInputError("reason_codes", "Say why you reject it: give at least one reason.")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise ReviewInputError("comment", "Write the comment as text.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ReviewInputError("comment", f"Use at most {COMMENT_MAX_LENGTH} characters.")
    codes = [code for code in allowed if code in set(reason_codes)]
    return accept, codes, comment


def reviewer_weight(score: float) -> float:
    """A reviewer's say: everyone allowed to review has one, and a better-evidenced
    reputation (a higher lower bound, 0..1) adds up to as much again."""
    return round(1.0 + max(0.0, min(1.0, score)), 6)


def weighted_outcome(votes: Iterable[tuple[bool, float]]) -> bool | None:
    """Accepted (True) or rejected (False) by the heavier side, None on an exact tie."""
    accept = reject = 0.0
    for verdict, weight in votes:
        if verdict:
            accept += weight
        else:
            reject += weight
    if round(accept, 9) == round(reject, 9):
        return None
    return accept > reject


# --- Rings --------------------------------------------------------------------------------
# Assignment is blind, so nobody chooses whom they review; a pair that still accepts each
# other far more than they accept anyone else is colluding some other way (several
# accounts of one person, or a group that shares what it is reviewing).

RING_MIN_REVIEWS = 3  # reviews of one person by another before a share means anything
RING_MARGIN = 0.35  # how far above the reviewer's own acceptance of others counts as favour
RING_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Favour:
    reviewer: Hashable
    author: Hashable
    reviews: int
    accepted: int
    baseline: float

    @property
    def share(self) -> float:
        return self.accepted / self.reviews

    def evidence(self) -> dict[str, Any]:
        return {
            "reviews": self.reviews,
            "accepted": self.accepted,
            "share": round(self.share, 4),
            "baseline": round(self.baseline, 4),
        }


@dataclass(frozen=True)
class Ring:
    members: tuple[Hashable, ...]
    favours: tuple[Favour, ...] = field(default=())


def find_rings(
    reviews: Iterable[tuple[Hashable, Hashable, bool]],
    *,
    min_reviews: int = RING_MIN_REVIEWS,
    margin: float = RING_MARGIN,
) -> list[Ring]:
    """Pairs who favour each other, and triangles where each favours the next.

    `reviews` are (reviewer, author, accepted). Reviewer x favours author y when x reviewed
    y at least `min_reviews` times and accepted y's work a share at least `margin` above
    x's acceptance of everyone else (or, when x reviewed too few others to tell, above the
    acceptance of all reviews given)."""
    pair: dict[tuple[Hashable, Hashable], list[int]] = defaultdict(lambda: [0, 0])
    given: dict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    every = [0, 0]
    for reviewer, author, accepted in reviews:
        for counts in (pair[(reviewer, author)], given[reviewer], every):
            counts[0] += 1
            counts[1] += int(accepted)
    overall = every[1] / every[0] if every[0] else 0.0

    favours: dict[tuple[Hashable, Hashable], Favour] = {}
    for (x, y), (n, yes) in pair.items():
        if n < min_reviews:
            continue
        others_n = given[x][0] - n
        others_accepted = given[x][1] - yes
        baseline = others_accepted / others_n if others_n >= min_reviews else overall
        if yes / n - baseline >= margin:
            favours[(x, y)] = Favour(x, y, n, yes, baseline)

    rings: list[Ring] = []
    paired: set[frozenset[Hashable]] = set()
    for (x, y), favour in sorted(favours.items(), key=lambda kv: repr(kv[0])):
        back = favours.get((y, x))
        if back is not None and frozenset((x, y)) not in paired:
            paired.add(frozenset((x, y)))
            rings.append(Ring(tuple(sorted((x, y), key=repr)), (favour, back)))
    following: dict[Hashable, list[Hashable]] = defaultdict(list)
    for x, y in favours:
        following[x].append(y)
    seen: set[frozenset[Hashable]] = set()
    for x, ys in following.items():
        for y in ys:
            for z in following.get(y, []):
                if z in (x, y) or (z, x) not in favours:
                    continue
                group = frozenset((x, y, z))
                if group in seen or any(frozenset(p) <= group for p in paired):
                    continue
                seen.add(group)
                rings.append(
                    Ring(
                        tuple(sorted(group, key=repr)),
                        (favours[(x, y)], favours[(y, z)], favours[(z, x)]),
                    )
                )
    return rings
