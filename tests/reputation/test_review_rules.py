"""The pure rules of peer review: input, weights, the weighted majority, ring detection."""

from __future__ import annotations

from typing import Any

import pytest

from reputation import review_rules as rules


@pytest.mark.parametrize(
    ("accept", "codes", "comment", "field"),
    [
        ("yes", [], "", "accept"),  # a verdict is a boolean, not a word
        (False, [], "", "reason_codes"),  # a rejection says why
        (False, ["accurate"], "", "reason_codes"),  # an acceptance reason cannot reject
        (True, ["off_topic"], "", "reason_codes"),  # and a rejection reason cannot accept
        (True, "accurate", "", "reason_codes"),  # a list, not a string
        (True, [], 7, "comment"),  # text only
        (True, [], "x" * 1001, "comment"),  # bounded
    ],
)
def test_clean_review_names_the_field_at_fault(
    accept: Any, codes: Any, comment: Any, field: str
) -> None:
    with pytest.raises(rules.ReviewInputError) as caught:
        rules.clean_review(accept, codes, comment)
    assert caught.value.field == field


def test_clean_review_orders_and_deduplicates_reasons() -> None:
    assert rules.clean_review(False, ["off_topic", "inaccurate", "off_topic"], "  why ") == (
        False,
        ["inaccurate", "off_topic"],
        "why",
    )


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ([(True, 1.0), (True, 1.0), (False, 1.0)], True),  # plain majority
        ([(True, 1.0), (False, 1.9)], False),  # one heavier reviewer outweighs one lighter
        ([(True, 1.2), (True, 1.2), (False, 1.9)], True),  # but not two
        ([(True, 1.5), (False, 1.5)], None),  # an exact tie decides nothing
        ([], None),
    ],
)
def test_weighted_outcome(votes: list[tuple[bool, float]], expected: bool | None) -> None:
    assert rules.weighted_outcome(votes) is expected


def test_reviewer_weight_grows_with_the_score_and_stays_bounded() -> None:
    assert rules.reviewer_weight(0.0) == 1.0
    assert rules.reviewer_weight(0.8) == 1.8
    assert rules.reviewer_weight(3.0) == 2.0


def _reviews(*spec: tuple[str, str, int, int]) -> list[tuple[str, str, bool]]:
    """(reviewer, author, accepted, rejected) -> one tuple per review."""
    out = []
    for reviewer, author, yes, no in spec:
        out += [(reviewer, author, True)] * yes + [(reviewer, author, False)] * no
    return out


def test_a_pair_accepting_each_other_above_their_habit_is_a_ring() -> None:
    found = rules.find_rings(
        _reviews(
            ("a", "b", 3, 0),
            ("b", "a", 3, 0),
            ("a", "c", 1, 3),  # a rejects most others
            ("b", "c", 1, 3),
        )
    )
    assert [ring.members for ring in found] == [("a", "b")]
    evidence = [favour.evidence() for favour in found[0].favours]
    assert evidence[0] == {"reviews": 3, "accepted": 3, "share": 1.0, "baseline": 0.25}


@pytest.mark.parametrize(
    "spec",
    [
        # Generous reviewers who accept everyone equally are not a ring.
        (("a", "b", 3, 0), ("b", "a", 3, 0), ("a", "c", 4, 0), ("b", "c", 4, 0)),
        # Favour in one direction only.
        (("a", "b", 3, 0), ("b", "a", 0, 3), ("a", "c", 0, 4), ("b", "c", 0, 4)),
        # Too few reviews of each other to tell.
        (("a", "b", 2, 0), ("b", "a", 2, 0), ("a", "c", 0, 4), ("b", "c", 0, 4)),
    ],
)
def test_no_ring_without_mutual_favour_on_enough_evidence(spec: Any) -> None:
    assert rules.find_rings(_reviews(*spec)) == []


def test_a_triangle_where_each_favours_the_next_is_a_ring() -> None:
    found = rules.find_rings(
        _reviews(
            ("a", "b", 3, 0),
            ("b", "c", 3, 0),
            ("c", "a", 3, 0),
            ("a", "d", 0, 3),
            ("b", "d", 0, 3),
            ("c", "d", 0, 3),
        )
    )
    assert [ring.members for ring in found] == [("a", "b", "c")]
