"""Krippendorff's alpha: published worked examples, the `krippendorff` package as a
reference on random tables, invariances the definition implies, and bad input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.agreement import LEVELS, Level, krippendorff_alpha

N = None  # missing value, short enough to keep the tables below aligned

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E:
# 4 observers x 12 units, values 1-5, with missing data.
PAPER_TABLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]

# Wikipedia, "Krippendorff's alpha", section "A computational example": 3 coders x 15 units.
WIKIPEDIA_TABLE = [
    [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
    [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
    [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
]

# Krippendorff (2011), section A: binary data, two observers, no missing data.
PAPER_BINARY = [
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
]

# Krippendorff (2011), section B: nominal data, two observers, no missing data.
PAPER_NOMINAL = [
    ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"],
    ["b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"],
]


def reference_alpha(data: Sequence[Sequence[Any]], level: Level) -> float:
    """The package's alpha; NaN where it has none (every pairable value identical)."""
    table = np.array([[np.nan if value is None else value for value in row] for row in data])
    if np.unique(table[~np.isnan(table)]).size < 2:
        return math.nan  # the package refuses a one-value domain
    with np.errstate(invalid="ignore", divide="ignore"):  # its 0/0 when nothing varies
        return float(krippendorff.alpha(reliability_data=table, level_of_measurement=level))


# ----------------------------------------------------------------------------- worked examples


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_paper_example(level: Level, published: float) -> None:
    assert krippendorff_alpha(PAPER_TABLE, level) == pytest.approx(published, abs=5e-4)


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.691), ("interval", 0.811)])
def test_wikipedia_example(level: Level, published: float) -> None:
    assert krippendorff_alpha(WIKIPEDIA_TABLE, level) == pytest.approx(published, abs=5e-4)


def test_paper_two_observer_examples() -> None:
    assert krippendorff_alpha(PAPER_BINARY) == pytest.approx(0.095, abs=5e-4)
    assert krippendorff_alpha(PAPER_NOMINAL) == pytest.approx(0.692, abs=5e-4)


@pytest.mark.parametrize("level", LEVELS)
def test_worked_examples_match_reference_to_machine_precision(level: Level) -> None:
    for table in (PAPER_TABLE, WIKIPEDIA_TABLE, PAPER_BINARY):
        assert krippendorff_alpha(table, level) == pytest.approx(
            reference_alpha(table, level), abs=1e-12
        )


def test_default_level_is_nominal() -> None:
    assert krippendorff_alpha(PAPER_TABLE) == krippendorff_alpha(PAPER_TABLE, "nominal")


# ----------------------------------------------------------------------------- reference package


def random_table(rng: np.random.Generator, level: str) -> list[list[Any]]:
    coders = int(rng.integers(2, 7))
    units = int(rng.integers(1, 30))
    domain_size = int(rng.integers(1, 7))
    if level in ("interval", "ratio"):
        # Non-integer, unevenly spaced values exercise the distance functions properly.
        domain = np.round(rng.uniform(0, 20, size=domain_size), 3).tolist()
    else:
        domain = rng.choice(50, size=domain_size, replace=False).tolist()
    # Skewed value frequencies: the ordinal metric depends on the marginals.
    weights = rng.dirichlet(np.ones(domain_size))
    missing = rng.uniform(0, 0.6)
    return [
        [
            None if rng.random() < missing else domain[rng.choice(domain_size, p=weights)]
            for _ in range(units)
        ]
        for _ in range(coders)
    ]


def has_two_pairable_values(table: list[list[Any]]) -> bool:
    return any(sum(row[unit] is not None for row in table) >= 2 for unit in range(len(table[0])))


@pytest.mark.parametrize("level", LEVELS)
def test_matches_krippendorff_package_on_random_tables(level: Level) -> None:
    rng = np.random.default_rng(LEVELS.index(level))
    compared = 0
    while compared < 300:
        table = random_table(rng, level)
        if not has_two_pairable_values(table):
            continue
        ours = krippendorff_alpha(table, level)
        reference = reference_alpha(table, level)
        if math.isnan(reference):
            # Every pairable value identical: the package divides 0 by 0 (or refuses a
            # one-value domain); we document 1.0 for that case.
            assert ours == 1.0
        else:
            assert ours == pytest.approx(reference, abs=1e-9, rel=1e-9)
        compared += 1


table_strategy = st.integers(2, 5).flatmap(
    lambda coders: st.integers(1, 12).flatmap(
        lambda units: st.lists(
            st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=units, max_size=units),
            min_size=coders,
            max_size=coders,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(table=table_strategy, level=st.sampled_from(LEVELS))
def test_matches_krippendorff_package_property(table: list[list[Any]], level: Level) -> None:
    if not has_two_pairable_values(table):
        with pytest.raises(ValueError, match="two or more coders"):
            krippendorff_alpha(table, level)
        return
    reference = reference_alpha(table, level)
    expected = 1.0 if math.isnan(reference) else reference
    assert krippendorff_alpha(table, level) == pytest.approx(expected, abs=1e-9, rel=1e-9)


# ----------------------------------------------------------------------------- invariances


def relabel(table: list[list[Any]], mapping: dict[Any, Any]) -> list[list[Any]]:
    return [[None if value is None else mapping[value] for value in row] for row in table]


def test_nominal_ignores_what_the_values_are() -> None:
    mapping = {1: "one", 2: ("two",), 3: 3.5, 4: "four", 5: -7}
    assert krippendorff_alpha(relabel(PAPER_TABLE, mapping)) == pytest.approx(
        krippendorff_alpha(PAPER_TABLE), abs=1e-12
    )


def test_ordinal_depends_only_on_rank() -> None:
    mapping = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}  # strings sort like the numbers
    squashed = {1: -100, 2: 0, 3: 0.5, 4: 0.6, 5: 1000}
    expected = krippendorff_alpha(PAPER_TABLE, "ordinal")
    assert krippendorff_alpha(relabel(PAPER_TABLE, mapping), "ordinal") == pytest.approx(expected)
    assert krippendorff_alpha(relabel(PAPER_TABLE, squashed), "ordinal") == pytest.approx(expected)


def test_interval_is_invariant_under_affine_maps_and_ratio_under_scaling() -> None:
    affine = {value: 3.0 * value - 11.0 for value in range(1, 6)}
    scaled = {value: 0.25 * value for value in range(1, 6)}
    interval = krippendorff_alpha(PAPER_TABLE, "interval")
    ratio = krippendorff_alpha(PAPER_TABLE, "ratio")
    assert krippendorff_alpha(relabel(PAPER_TABLE, affine), "interval") == pytest.approx(interval)
    assert krippendorff_alpha(relabel(PAPER_TABLE, scaled), "ratio") == pytest.approx(ratio)


@pytest.mark.parametrize("level", LEVELS)
def test_order_of_coders_and_units_does_not_matter(level: Level) -> None:
    rng = np.random.default_rng(3)
    expected = krippendorff_alpha(PAPER_TABLE, level)
    for _ in range(5):
        coders = rng.permutation(len(PAPER_TABLE))
        units = rng.permutation(len(PAPER_TABLE[0]))
        table = [[PAPER_TABLE[c][u] for u in units] for c in coders]
        assert krippendorff_alpha(table, level) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_units_with_a_single_value_are_dropped(level: Level) -> None:
    widened = [[*row, value] for row, value in zip(PAPER_TABLE, [N, 4, N, N], strict=True)]
    assert krippendorff_alpha(widened, level) == krippendorff_alpha(PAPER_TABLE, level)


def test_nan_and_numpy_arrays_mean_missing_like_none() -> None:
    table = np.array([[np.nan if v is None else v for v in row] for row in PAPER_TABLE])
    for level in LEVELS:
        assert krippendorff_alpha(table, level) == pytest.approx(
            krippendorff_alpha(PAPER_TABLE, level), abs=1e-12
        )


@pytest.mark.parametrize("level", LEVELS)
def test_no_variation_returns_one(level: Level) -> None:
    # Expected disagreement is 0 (every pairable value identical; the lone 7 is in a unit
    # nobody else coded, so it is dropped): documented as 1.0.
    assert krippendorff_alpha([[2, 2, N], [2, 2, N], [N, 2, 7]], level) == 1.0


def test_perfect_agreement_is_one_and_systematic_disagreement_is_negative() -> None:
    assert krippendorff_alpha([[1, 2, 3, 1], [1, 2, 3, 1]]) == 1.0
    assert krippendorff_alpha([[1, 2, 1, 2], [2, 1, 2, 1]]) < 0


def test_ratio_allows_zero() -> None:
    # c + k = 0 only for c = k = 0, a zero distance, not a division by zero.
    table = [[0, 0, 5, 10], [0, 1, 5, 12]]
    assert krippendorff_alpha(table, "ratio") == pytest.approx(reference_alpha(table, "ratio"))


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "level", "message"),
    [
        pytest.param([[1, 2, 3], [1, 2]], "nominal", "length", id="unequal-rows"),  # ragged
        pytest.param(PAPER_TABLE, "cardinal", "level", id="unknown-level"),  # typo'd level
        pytest.param(PAPER_TABLE, "Nominal", "level", id="level-case"),  # levels are lowercase
        pytest.param([], "nominal", "two or more", id="no-coders"),  # nothing to compare
        pytest.param([[1, 2, 3]], "nominal", "two or more", id="one-coder"),  # no pairs
        pytest.param([[1, N], [N, 2]], "nominal", "two or more", id="no-shared-unit"),  # 1 each
        pytest.param([[], []], "nominal", "two or more", id="no-units"),  # empty rows
        pytest.param([[N, N], [N, N]], "interval", "two or more", id="all-missing"),  # only gaps
        pytest.param("abc", "nominal", "rows", id="string-data"),  # not a table
        pytest.param(["ab", "ba"], "nominal", "row", id="string-rows"),  # strings aren't rows
        pytest.param([[1, 2], 3], "nominal", "row", id="scalar-row"),  # row must be iterable
        pytest.param([[[1], 2], [[1], 2]], "nominal", "hashable", id="unhashable"),  # list value
        pytest.param([["a", 1], ["a", 2]], "interval", "real numbers", id="text-interval"),
        pytest.param([[True, 1], [False, 1]], "interval", "real numbers", id="bool-interval"),
        pytest.param([[1.5, "2"], [1, 2]], "ratio", "real numbers", id="numeric-string"),
        pytest.param([[1, math.inf], [1, 2]], "interval", "finite", id="infinite"),
        pytest.param([[1, -2], [1, 2]], "ratio", ">= 0", id="negative-ratio"),
        pytest.param([[1, "b"], [2, "a"]], "ordinal", "comparable", id="unorderable-ordinal"),
    ],
)
def test_invalid_input_raises_value_error(data: Any, level: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        krippendorff_alpha(data, level)


def test_mixed_types_are_fine_for_nominal() -> None:
    # Nominal needs equality only; the (type, repr) fallback order just fixes the layout.
    table = [[1, "b", "b", 1], [1, "b", 1, 1]]
    assert krippendorff_alpha(table) == pytest.approx(
        krippendorff_alpha([[1, 2, 2, 1], [1, 2, 1, 1]])
    )
