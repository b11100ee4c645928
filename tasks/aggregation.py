"""Crowdsourced label aggregation: majority vote, weighted vote and Dawid-Skene.

Pure functions (NumPy, no Django) so they run the same in request handlers, Celery
workers, management commands and notebooks.

Every function takes ``answers``, an iterable of ``(item_id, worker_id, label)`` tuples
(lists of three are accepted too, since rows decoded from JSON arrive that way), and
returns ``{item_id: (label, confidence)}`` with ``confidence`` in [0, 1]. Items appear in
canonical order (below). Empty input gives ``{}``.

Conventions shared by the three methods:

* **Every answer is one vote.** A worker who answers an item twice votes twice, as
  crowd-kit counts it. "Last answer wins" was rejected because it makes the result depend
  on the order answers arrive in; deduplicate upstream if a re-answer should replace the
  first.
* **Canonical order.** Ids and labels are ordered by their natural order (``sorted``);
  when they are not mutually comparable (say ``int`` and ``str`` mixed) by
  ``(type name, repr)`` instead. So ``2`` comes before ``10``, ``"cat"`` before ``"dog"``,
  and with mixed labels every ``int`` before every ``str``. (Values with only a partial
  order, or unequal values sharing type and repr, have no canonical order: avoid them.)
* **Ties go to the label that comes first in canonical order**, the same rule for all
  three methods. For weighted vote and Dawid-Skene, a score within 1e-9 x the item's
  total score of the best one counts as tied, so float rounding never decides a tie.
* **Input order never matters.** Answers are sorted canonically before any floating-point
  sum, so any permutation of the same answers gives bit-identical results.
* Ids or labels that compare equal (``1``, ``1.0``, ``True``) are the same id or label;
  which spelling appears in the result is unspecified.
* ``ValueError`` for an answer that is not a tuple or list of three, an unhashable
  element, or ``None`` or NaN as an id or label (``None`` almost always means "missing",
  and NaN is not equal to itself, so neither can be counted).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from operator import itemgetter
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["dawid_skene", "majority_vote", "weighted_vote"]

ItemT = TypeVar("ItemT", bound=Hashable)
WorkerT = TypeVar("WorkerT", bound=Hashable)
LabelT = TypeVar("LabelT", bound=Hashable)

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

# Relative to the item's total score: far above float rounding after summing a few thousand
# votes, far below any difference a person would call a real preference.
TIE_TOLERANCE = 1e-9

# Pseudo-count added to every confusion-matrix cell and class-prior count: keeps log() finite
# for outcomes a worker never produced, yet negligible against the expected counts of any
# worker with more than a handful of answers, so results track crowd-kit's (which clips at
# 1e-10 instead) to within rounding on all but the sparsest workers.
SMOOTHING = 1e-3

# Sorting on one packed int64 key is about twice as fast as a three-key lexsort.
_PACKED_KEY_LIMIT = 2**62


@dataclass(frozen=True, slots=True)
class _Encoded:
    """Answers as integer codes, sorted by (item, label, worker) code.

    Codes index ``items``/``workers``/``labels``, which are in canonical order, so the sorted
    arrays are the same whatever order the answers came in.
    """

    items: list[Any]
    workers: list[Any]
    labels: list[Any]
    item: IntArray
    worker: IntArray
    label: IntArray


def _fallback_key(value: object) -> tuple[str, str, str]:
    kind = type(value)
    return (kind.__module__, kind.__qualname__, repr(value))


def _canonical_order(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=_fallback_key)


def _factorize_ints(column: Sequence[Any]) -> tuple[list[Any], IntArray] | None:
    """Codes for a column of ints (the common case: database primary keys), with arrays.

    Hashing every value twice (distinct values, then their ranks) is the biggest cost of a
    large run; ids spanning a range not much wider than the column need no hashing and no
    sorting at all (a presence array), other ints a single NumPy sort.
    """
    if type(column[0]) is not int or set(map(type, column)) != {int}:
        return None  # exact type: bools would pass isinstance and come back as ints
    try:
        values = np.fromiter(column, dtype=np.int64, count=len(column))
    except OverflowError:
        return None
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > 2 * len(column) + 1024:
        distinct, codes = np.unique(values, return_inverse=True)
        return distinct.tolist(), codes.astype(np.intp, copy=False)
    offsets = values - low
    present = np.zeros(span, dtype=bool)
    present[offsets] = True
    rank = (np.cumsum(present) - 1).astype(np.intp, copy=False)
    return (np.flatnonzero(present) + low).tolist(), rank[offsets]


def _factorize(column: Sequence[Any], what: str) -> tuple[list[Any], IntArray]:
    """Distinct values in canonical order, and each element's index into them."""
    ints = _factorize_ints(column)
    if ints is not None:
        return ints
    try:
        uniques = dict.fromkeys(column)
    except TypeError as exc:
        raise ValueError(f"every {what} must be hashable: {exc}") from None
    if None in uniques:
        raise ValueError(f"{what} must not be None")
    # Only float columns can hold NaN; testing every unique id would cost more than the vote.
    if any(issubclass(kind, float | np.floating) for kind in set(map(type, uniques))):
        for value in uniques:
            if isinstance(value, float | np.floating) and math.isnan(value):
                raise ValueError(f"{what} must not be NaN")
    order = _canonical_order(list(uniques))
    rank = {value: code for code, value in enumerate(order)}
    codes = np.fromiter(map(rank.__getitem__, column), dtype=np.intp, count=len(column))
    return order, codes


def _rows(answers: Iterable[Any]) -> Sequence[Any]:
    rows: Sequence[Any] = answers if isinstance(answers, list | tuple) else list(answers)
    # Checked with C-level map()s first: a Python loop over a million rows costs more than
    # the whole majority vote.
    kinds = set(map(type, rows))
    if all(issubclass(kind, tuple | list) for kind in kinds) and set(map(len, rows)) <= {3}:
        return rows
    for position, row in enumerate(rows):
        if not isinstance(row, tuple | list) or len(row) != 3:
            raise ValueError(
                f"answer #{position} must be an (item_id, worker_id, label) tuple, got {row!r}"
            )
    raise AssertionError("unreachable")  # pragma: no cover


def _encode(answers: Iterable[Any]) -> _Encoded | None:
    rows = _rows(answers)
    if not rows:
        return None
    # map(itemgetter) is ten times faster than zip(*rows) over a million rows.
    items, item = _factorize(list(map(itemgetter(0), rows)), "item_id")
    workers, worker = _factorize(list(map(itemgetter(1), rows)), "worker_id")
    labels, label = _factorize(list(map(itemgetter(2), rows)), "label")
    n_items, n_workers, n_labels = len(items), len(workers), len(labels)
    if n_items * n_labels * n_workers < _PACKED_KEY_LIMIT:
        key = (item.astype(np.int64) * n_labels + label) * n_workers + worker
        # Equal keys are identical answers, so an unstable sort still yields one order.
        order = np.argsort(key)
    else:  # pragma: no cover - needs billions of distinct ids
        order = np.lexsort((worker, label, item))
    return _Encoded(items, workers, labels, item[order], worker[order], label[order])


def _segment_starts(sorted_codes: IntArray) -> IntArray:
    """Index of the first element of each run of equal values in a sorted array."""
    change = np.empty(sorted_codes.size, dtype=bool)
    change[:1] = True
    np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=change[1:])
    return np.flatnonzero(change)


def _vote(encoded: _Encoded, answer_weights: FloatArray | None) -> dict[Any, tuple[Any, float]]:
    """Per item, the label with the highest total weight among the labels it received."""
    n_labels = len(encoded.labels)
    # Answers are sorted by (item, label), so each (item, label) pair is one contiguous run.
    pair_key = encoded.item * n_labels + encoded.label
    pair_starts = _segment_starts(pair_key)
    pair_item = encoded.item[pair_starts]
    pair_label = encoded.label[pair_starts]
    if answer_weights is None:
        scores = np.diff(np.append(pair_starts, pair_key.size)).astype(np.float64)
        tolerance = 0.0  # counts are exact integers
    else:
        scores = np.add.reduceat(answer_weights, pair_starts)
        tolerance = TIE_TOLERANCE
    item_starts = _segment_starts(pair_item)
    totals = np.add.reduceat(scores, item_starts)
    best = np.maximum.reduceat(scores, item_starts)
    # Every item has at least one answer, so item codes are exactly 0..n_items-1 and index
    # the per-item arrays directly.
    candidates = np.flatnonzero(scores >= best[pair_item] - tolerance * totals[pair_item])
    # Within an item pairs are in label order, so its first candidate is the tie-break winner.
    winners = candidates[_segment_starts(pair_item[candidates])]
    confidence = np.divide(
        scores[winners], totals, out=np.zeros(totals.size), where=totals > 0
    ).clip(0.0, 1.0)
    return _result(encoded, pair_label[winners], confidence)


def _result(
    encoded: _Encoded, winner_codes: IntArray, confidence: FloatArray
) -> dict[Any, tuple[Any, float]]:
    labels = np.empty(len(encoded.labels), dtype=object)
    labels[:] = encoded.labels
    winners = labels[winner_codes].tolist()
    return dict(zip(encoded.items, zip(winners, confidence.tolist(), strict=True), strict=True))


def majority_vote(
    answers: Iterable[tuple[ItemT, WorkerT, LabelT]],
) -> dict[ItemT, tuple[LabelT, float]]:
    """Most frequent label per item; confidence is its share of the item's answers.

    Ties go to the label first in canonical order (see the module docstring).
    """
    encoded = _encode(answers)
    if encoded is None:
        return {}
    return _vote(encoded, None)


def _weight_vector(weights: Mapping[Any, float], workers: list[Any]) -> FloatArray:
    for worker, weight in weights.items():
        if not isinstance(weight, Real) or isinstance(weight, bool):
            raise ValueError(f"weight of worker {worker!r} must be a real number, got {weight!r}")
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight of worker {worker!r} must be finite and >= 0, got {weight!r}")
    return np.array([float(weights.get(worker, 1.0)) for worker in workers], dtype=np.float64)


def weighted_vote(
    answers: Iterable[tuple[ItemT, WorkerT, LabelT]],
    weights: Mapping[WorkerT, float],
) -> dict[ItemT, tuple[LabelT, float]]:
    """Label with the highest summed worker weight; confidence is its share of the weight.

    A worker missing from ``weights`` weighs 1.0, what majority vote gives everyone: a new
    worker without a track record counts as an ordinary voter rather than failing the whole
    aggregation. Weights must be finite and >= 0 (``ValueError`` otherwise, checked for every
    entry, not only workers that answered). An item whose voters all weigh 0 has no evidence:
    it gets the first label (canonical order) among those it received, with confidence 0.0.
    Only labels an item received can win.
    """
    if not isinstance(weights, Mapping):
        raise ValueError(f"weights must be a mapping worker_id -> float, got {weights!r}")
    encoded = _encode(answers)
    weight_of_worker = _weight_vector(weights, encoded.workers if encoded else [])
    if encoded is None:
        return {}
    return _vote(encoded, weight_of_worker[encoded.worker])


class _Slots:
    """Answers regrouped by their position within their item: slot j holds every item's j-th
    answer, so each slot has at most one answer per item.

    That turns both EM sums into dense operations over items instead of a gather to and a
    reduction from a per-answer array: the E-step adds one (labels, items) gather per slot,
    the M-step bincounts each slot with the posteriors as weights, unindexed when the slot
    covers every item (the common case). Both sums take less than half the time that way.
    Slots stop at ``_SLOT_LIMIT``; answers beyond it (items with unusually many answers) go
    through the plain per-answer path, so one item with a thousand answers costs a thousand
    answers, not a thousand slots.
    """

    _SLOT_LIMIT = 32

    def __init__(self, item: IntArray, rows: IntArray, n_items: int) -> None:
        self.n_items = n_items
        per_item = np.bincount(item, minlength=n_items)
        starts = np.cumsum(per_item) - per_item
        self.slots: list[tuple[IntArray | None, IntArray]] = []
        for position in range(min(int(per_item.max()), self._SLOT_LIMIT)):
            holders = np.flatnonzero(per_item > position)
            covers_all = holders.size == n_items
            self.slots.append((None if covers_all else holders, rows[starts[holders] + position]))
        beyond = np.arange(item.size) - starts[item] >= self._SLOT_LIMIT
        self.tail_item = item[beyond]
        self.tail_rows = rows[beyond]

    def sum_per_item(self, table: FloatArray, out: FloatArray) -> None:
        """out[c, i] += sum over item i's answers a of table[c, rows[a]]."""
        for holders, rows in self.slots:
            if holders is None:
                out += np.take(table, rows, axis=1)
            else:
                out[:, holders] += np.take(table, rows, axis=1)
        if self.tail_item.size:
            values = np.take(table, self.tail_rows, axis=1)
            for label, row in enumerate(values):
                out[label] += np.bincount(self.tail_item, weights=row, minlength=self.n_items)

    def sum_per_row(self, weights: FloatArray, n_rows: int) -> FloatArray:
        """out[c, r] = sum over answers a with rows[a] == r of weights[c, item[a]]."""
        out = np.zeros((weights.shape[0], n_rows))
        for holders, rows in self.slots:
            per_answer = weights if holders is None else weights[:, holders]
            for label, row in enumerate(per_answer):
                out[label] += np.bincount(rows, weights=row, minlength=n_rows)
        if self.tail_item.size:
            per_answer = np.take(weights, self.tail_item, axis=1)
            for label, row in enumerate(per_answer):
                out[label] += np.bincount(self.tail_rows, weights=row, minlength=n_rows)
        return out


def _dawid_skene_posteriors(encoded: _Encoded, max_iter: int, tol: float) -> FloatArray:
    """EM over the encoded answers; returns posteriors shaped (labels, items).

    Labels-first layout keeps every per-label row contiguous for take and bincount.
    """
    n_items, n_workers, n_labels = len(encoded.items), len(encoded.workers), len(encoded.labels)
    n_answers = encoded.item.size
    # Row of the flattened (worker, observed label) axis of the confusion matrices.
    worker_label = encoded.worker * n_labels + encoded.label
    n_rows = n_workers * n_labels
    slots = _Slots(encoded.item, worker_label, n_items)

    votes = np.bincount(encoded.label * n_items + encoded.item, minlength=n_labels * n_items)
    posterior: FloatArray = votes.reshape(n_labels, n_items) / np.bincount(encoded.item)

    previous_loglik = -math.inf
    for _ in range(max_iter):
        # M-step: class priors and per-worker confusion matrices from expected counts.
        prior = (posterior.sum(axis=1) + SMOOTHING) / (n_items + n_labels * SMOOTHING)
        expected = slots.sum_per_row(posterior, n_rows)
        confusion = expected.reshape(n_labels, n_workers, n_labels) + SMOOTHING
        confusion /= confusion.sum(axis=2, keepdims=True)
        log_confusion = np.log(confusion).reshape(n_labels, n_rows)

        # E-step in log space: a product of hundreds of probabilities would underflow.
        log_joint = np.repeat(np.log(prior)[:, np.newaxis], n_items, axis=1)
        slots.sum_per_item(log_confusion, log_joint)
        peak = log_joint.max(axis=0)
        np.subtract(log_joint, peak, out=log_joint)
        posterior = np.exp(log_joint, out=log_joint)
        evidence = posterior.sum(axis=0)
        posterior /= evidence

        loglik = float(np.sum(peak + np.log(evidence))) / n_answers
        if abs(loglik - previous_loglik) < tol:
            break
        previous_loglik = loglik
    return posterior


def dawid_skene(
    answers: Iterable[tuple[ItemT, WorkerT, LabelT]],
    max_iter: int = 100,
    tol: float = 1e-6,
) -> dict[ItemT, tuple[LabelT, float]]:
    """Dawid & Skene (1979): EM over class priors and per-worker confusion matrices.

    Starts from majority-vote posteriors; each iteration is an M-step (priors and confusion
    matrices from the current posteriors, with a ``SMOOTHING`` pseudo-count per cell) then
    an E-step (posteriors in log space). Stops after ``max_iter`` iterations or once the mean
    log-likelihood per answer (per answer, like crowd-kit's loss, so ``tol`` means the same
    at any size) moves by less than ``tol``.

    Confidence is the posterior of the chosen label, which can be a label nobody gave the
    item (a worker who always answers "cat" for dogs is evidence of "dog"). Ties as for the
    other methods: first in canonical label order.

    Vectorized over answers; memory is O(answers + items * labels + workers * labels**2),
    meant for label sets of a few to a few dozen classes.
    """
    if not isinstance(max_iter, int) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter must be an int >= 1, got {max_iter!r}")
    if not isinstance(tol, Real) or isinstance(tol, bool) or not tol >= 0 or math.isinf(tol):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    encoded = _encode(answers)
    if encoded is None:
        return {}
    posterior = _dawid_skene_posteriors(encoded, max_iter, float(tol))
    best = posterior.max(axis=0)
    # argmax returns the first True, i.e. the first tied label in canonical order.
    winners = np.argmax(posterior >= best - TIE_TOLERANCE, axis=0)
    confidence = posterior[winners, np.arange(posterior.shape[1])].clip(0.0, 1.0)
    return _result(encoded, winners, confidence)
