"""Inter-annotator agreement: Krippendorff's alpha.

Pure function (NumPy, no Django). Follows the coincidence-matrix formulation of
Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011):

* ``data`` holds one row per coder; units are columns; ``None`` (or a float NaN, which is
  how NumPy and pandas spell missing) marks a value the coder did not give.
* Units with fewer than two values are not pairable and are dropped.
* Coincidences: ``o[c, k] = sum_u (n_uc * n_uk - [c == k] * n_uc) / (m_u - 1)``;
  ``alpha = 1 - (n - 1) * sum(o * delta) / sum(n_c * n_k * delta)``.
* Distances ``delta[c, k]``: nominal ``[c != k]``; ordinal
  ``(sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2`` over values ranked by their natural order,
  with ``n_g`` the marginal frequencies; interval ``(c - k) ** 2``; ratio
  ``((c - k) / (c + k)) ** 2``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from numbers import Real
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["LEVELS", "Level", "ReliabilityData", "krippendorff_alpha"]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")

FloatArray = npt.NDArray[np.float64]
# Rows of values, or a 2-D array (NaN as missing) as NumPy and pandas users will have.
ReliabilityData = Sequence[Iterable[Any]] | npt.NDArray[Any]

_MISSING = -1


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _check_number(value: object, level: str) -> None:
    # bool is an int subclass, but True/False on an interval scale is almost surely a bug.
    if not isinstance(value, Real) or isinstance(value, bool):
        raise ValueError(f"{level} values must be real numbers, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{level} values must be finite, got {value!r}")
    if level == "ratio" and value < 0:
        # A ratio scale has an absolute zero; c + k = 0 for c != k would divide by zero.
        raise ValueError(f"ratio values must be >= 0, got {value!r}")


def _value_order(values: list[Any], level: str) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        if level != "nominal":
            raise ValueError(f"{level} values must be mutually comparable") from None
        # Nominal values need no meaningful order, only a fixed one, so sums are reproducible.
        return sorted(values, key=lambda value: (type(value).__qualname__, repr(value)))


def _encode(data: ReliabilityData, level: str) -> tuple[list[Any], npt.NDArray[np.intp]]:
    """Value codes, shape (coders, units), ``_MISSING`` for missing; values sorted."""
    if isinstance(data, str | bytes) or not isinstance(data, Sequence | np.ndarray):
        raise ValueError("data must be a sequence of rows, one per coder")
    rows: list[list[Any]] = []
    for position, row in enumerate(data):
        if isinstance(row, str | bytes) or not isinstance(row, Iterable):
            raise ValueError(f"row {position} must be a sequence of values, got {row!r}")
        rows.append(list(row))
    if len({len(row) for row in rows}) > 1:
        raise ValueError("every row (coder) must have one value per unit: rows differ in length")
    if len(rows) < 2:
        raise ValueError("alpha needs at least one unit coded by two or more coders")

    seen: dict[Hashable, None] = {}
    for row in rows:
        for value in row:
            if _is_missing(value):
                continue
            if level in ("interval", "ratio"):
                _check_number(value, level)
            try:
                seen[value] = None
            except TypeError:
                raise ValueError(f"values must be hashable, got {value!r}") from None
    values = _value_order(list(seen), level)
    code_of = {value: code for code, value in enumerate(values)}
    codes = np.array(
        [[_MISSING if _is_missing(value) else code_of[value] for value in row] for row in rows],
        dtype=np.intp,
    ).reshape(len(rows), -1)
    return values, codes


def _distances(values: list[Any], level: Level, marginals: FloatArray) -> FloatArray:
    """Squared distance between every pair of values, shape (values, values)."""
    count = len(values)
    if level == "nominal":
        return 1.0 - np.eye(count)
    if level == "ordinal":
        # sum_{g=c..k} n_g for c <= k, from cumulative sums over the ranked values.
        cumulative = np.cumsum(marginals)
        low = np.minimum.outer(np.arange(count), np.arange(count))
        high = np.maximum.outer(np.arange(count), np.arange(count))
        between = cumulative[high] - cumulative[low] + marginals[low]
        return np.asarray((between - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2)
    numbers = np.array(values, dtype=np.float64)
    difference = np.subtract.outer(numbers, numbers)
    if level == "interval":
        return np.asarray(difference**2)
    total = np.add.outer(numbers, numbers)
    # Values are >= 0, so c + k = 0 only when c = k = 0: identical values, distance 0.
    ratio = np.divide(difference, total, out=np.zeros_like(difference), where=total != 0)
    return np.asarray(ratio**2)


def krippendorff_alpha(data: ReliabilityData, level: Level = "nominal") -> float:
    """Krippendorff's alpha of ``data`` (rows = coders, columns = units) at ``level``.

    Nominal values can be anything hashable; ordinal values anything mutually comparable,
    ranked by natural order (give ranks, not words like "low"/"high", which would sort
    alphabetically); interval and ratio values must be finite real numbers, ratio ones >= 0.

    Returns 1.0 when expected disagreement is 0, i.e. every pairable value is the same:
    the formula is 0/0 there, and coders who all agree on everything have not disagreed.
    (The ``krippendorff`` package returns NaN in that case.)

    ``ValueError`` for an unknown level, rows of unequal length, values of the wrong kind,
    or fewer than two pairable values overall.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    values, codes = _encode(data, level)

    present = codes != _MISSING
    per_unit = present.sum(axis=0)
    pairable = per_unit >= 2
    if not pairable.any():
        raise ValueError("alpha needs at least one unit coded by two or more coders")
    codes, present, per_unit = codes[:, pairable], present[:, pairable], per_unit[pairable]
    n_units, n_values = codes.shape[1], len(values)

    # counts[u, c]: how many coders gave value c to unit u.
    unit_index = np.broadcast_to(np.arange(n_units), codes.shape)[present]
    counts = np.bincount(
        unit_index * n_values + codes[present], minlength=n_units * n_values
    ).reshape(n_units, n_values)
    scaled = counts / (per_unit - 1.0)[:, None]
    coincidences = scaled.T @ counts - np.diag(scaled.sum(axis=0))
    marginals = coincidences.sum(axis=1)
    total = float(marginals.sum())

    delta = _distances(values, level, marginals)
    observed = float(np.sum(coincidences * delta))
    expected = float(np.sum(np.outer(marginals, marginals) * delta))
    if expected == 0.0:
        return 1.0
    return 1.0 - (total - 1.0) * observed / expected
