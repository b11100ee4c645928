"""Label aggregation: majority vote, weighted vote, Dawid-Skene.

Pure functions, no database. Covers hand-made cases (majorities, ties, weights flipping
the outcome, confidences), the documented conventions (tie-break order, duplicates,
missing weights, input-order independence), planted-truth recovery, and agreement with
crowd-kit, the reference implementation (a test-only dependency).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene, MajorityVote
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.aggregation import SMOOTHING, dawid_skene, majority_vote, weighted_vote

# crowd-kit 1.4 still uses pandas idioms pandas 3 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::Warning:crowdkit")

Answer = tuple[Hashable, Hashable, Hashable]
Result = dict[Any, tuple[Any, float]]
AnswerT = TypeVar("AnswerT")


def weighted_unit(answers: Iterable[Answer]) -> Result:
    """Weighted vote with every worker at the default weight: must behave like majority."""
    return weighted_vote(answers, {})


def dawid_skene_default(answers: Iterable[Answer]) -> Result:
    return dawid_skene(answers)


METHODS: list[Callable[[Iterable[Answer]], Result]] = [
    majority_vote,
    weighted_unit,
    dawid_skene_default,
]
METHOD_IDS = ["majority", "weighted", "dawid_skene"]


def planted_crowd(
    seed: int,
    *,
    n_items: int,
    overlap: int,
    n_labels: int,
    honest: int,
    spammers: int,
    adversaries: int,
    accuracy: tuple[float, float] = (0.6, 0.9),
) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Planted truth and answers. Workers [0, honest) are right with their own accuracy,
    the next `spammers` answer uniformly at random, the last `adversaries` always answer
    (truth + 1) mod labels: wrong, but perfectly informative to a model that learns it."""
    rng = np.random.default_rng(seed)
    n_workers = honest + spammers + adversaries
    truth = rng.integers(n_labels, size=n_items)
    skill = np.concatenate([rng.uniform(*accuracy, size=honest), np.zeros(n_workers - honest)])
    workers = np.array([rng.choice(n_workers, overlap, replace=False) for _ in range(n_items)])
    true_label = np.repeat(truth, overlap).reshape(n_items, overlap)
    wrong = (true_label + rng.integers(1, n_labels, size=true_label.shape)) % n_labels
    labels = np.where(rng.random(true_label.shape) < skill[workers], true_label, wrong)
    labels = np.where(workers >= honest, rng.integers(n_labels, size=labels.shape), labels)
    labels = np.where(workers >= honest + spammers, (true_label + 1) % n_labels, labels)
    items = np.repeat(np.arange(n_items), overlap)
    answers = list(
        zip(items.tolist(), workers.ravel().tolist(), labels.ravel().tolist(), strict=True)
    )
    return truth, answers


def accuracy(result: Result, truth: np.ndarray) -> float:
    return float(np.mean([result[item][0] == label for item, label in enumerate(truth.tolist())]))


# ----------------------------------------------------------------------------- majority vote


def test_majority_clear_winner_and_share() -> None:
    answers = [("a", "w1", "cat"), ("a", "w2", "cat"), ("a", "w3", "cat"), ("a", "w4", "dog")]
    answers += [("b", "w1", "dog"), ("b", "w2", "dog")]
    assert majority_vote(answers) == {"a": ("cat", 0.75), "b": ("dog", 1.0)}


def test_majority_single_answer_is_certain() -> None:
    assert majority_vote([(7, 1, "yes")]) == {7: ("yes", 1.0)}


@pytest.mark.parametrize(
    ("labels", "winner"),
    [
        (["dog", "cat"], "cat"),  # strings: alphabetical
        ([10, 2], 2),  # ints: numeric order, not repr order ("10" < "2")
        (["b", 1], 1),  # not comparable: (type name, repr), so int before str
        ([(2, "x"), (1, "y")], (1, "y")),  # tuples compare element-wise
        (["dog", "cat", "cow"], "cat"),  # three-way tie
    ],
)
def test_ties_go_to_first_label_in_canonical_order_for_every_method(
    labels: list[Hashable], winner: Hashable
) -> None:
    answers = [("item", f"w{index}", label) for index, label in enumerate(labels)]
    for method in METHODS:
        for ordering in (answers, answers[::-1]):
            label, confidence = method(ordering)["item"]
            assert label == winner, method
            assert confidence == pytest.approx(1 / len(labels))


def test_tie_only_among_the_leaders() -> None:
    answers = [("i", 1, "z"), ("i", 2, "z"), ("i", 3, "y"), ("i", 4, "y"), ("i", 5, "a")]
    assert majority_vote(answers) == {"i": ("y", 0.4)}


def test_duplicate_answers_count_as_separate_votes() -> None:
    # Documented choice: every tuple is a vote; "last wins" would depend on input order.
    answers = [("i", "w", "cat"), ("i", "w", "cat"), ("i", "v", "dog")]
    assert majority_vote(answers) == {"i": ("cat", pytest.approx(2 / 3))}
    assert weighted_vote(answers, {"w": 1.0, "v": 1.5}) == {"i": ("cat", pytest.approx(2 / 3.5))}


def test_result_keys_in_canonical_item_order_and_original_objects_returned() -> None:
    answers = [(3, "w", 1), (1, "w", 1), (2, "w", 0), (10, "w", 1)]
    for method in METHODS:
        result = method(answers)
        assert list(result) == [1, 2, 3, 10]
        assert all(type(label) is int for label, _ in result.values())


@pytest.mark.parametrize(
    "offset",
    [
        0,  # dense non-negative ints: the presence-array path
        -(10**6),  # dense negative ints: same path, shifted
        10**15,  # ids far apart below: still dense relative to each other
        2**70,  # beyond int64: the generic hashing path
    ],
)
@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_integer_ids_give_the_same_result_on_every_encoding_path(
    method: Callable[[Iterable[Answer]], Result], offset: int
) -> None:
    _, answers = planted_crowd(
        2, n_items=200, overlap=3, n_labels=3, honest=5, spammers=1, adversaries=1
    )
    baseline = method(answers)
    # Spreading the item ids out sends them down the np.unique path instead.
    spread = 10**9 if offset == 0 else 1
    moved = [(item * spread + offset, worker + offset, label) for item, worker, label in answers]
    result = method(moved)
    assert list(result.values()) == list(baseline.values())
    assert list(result) == [item * spread + offset for item in baseline]


def test_bools_mixed_with_ints_are_not_taken_for_ints() -> None:
    # True == 1, so they are one label; the int fast path must not turn False/True into 0/1
    # for a column that is all bools.
    assert majority_vote([("i", "w", True), ("i", "v", True), ("i", "u", False)]) == {
        "i": (True, pytest.approx(2 / 3))
    }
    result = majority_vote([(True, "w", "x"), (2, "w", "y")])
    assert [type(item) for item in result] == [bool, int]


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_empty_input_gives_empty_result(method: Callable[[Iterable[Answer]], Result]) -> None:
    assert method([]) == {}
    assert method(iter(())) == {}


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_accepts_generators_and_list_rows(method: Callable[[Iterable[Answer]], Result]) -> None:
    rows = [["i", "w1", "cat"], ["i", "w2", "cat"], ["j", "w1", "dog"]]
    from_lists = method(rows)  # type: ignore[arg-type]
    from_generator = method(tuple(row) for row in rows)  # type: ignore[misc]
    assert from_lists == from_generator
    assert {item: label for item, (label, _) in from_lists.items()} == {"i": "cat", "j": "dog"}


def test_majority_matches_crowdkit_except_on_ties() -> None:
    rng = np.random.default_rng(7)
    n_items = 2000
    overlap = rng.integers(1, 6, size=n_items)
    items = np.repeat(np.arange(n_items), overlap)
    workers = rng.integers(40, size=items.size)
    labels = rng.choice(["neg", "neu", "pos"], size=items.size, p=[0.5, 0.3, 0.2])
    answers = list(zip(items.tolist(), workers.tolist(), labels.tolist(), strict=True))
    ours = majority_vote(answers)
    frame = pd.DataFrame({"task": items, "worker": workers, "label": labels})
    theirs = MajorityVote().fit_predict(frame)
    probas = MajorityVote().fit_predict_proba(frame)

    per_item: dict[int, Counter[str]] = {}
    for item, _, label in answers:
        per_item.setdefault(item, Counter())[label] += 1
    tied = {
        item
        for item, counts in per_item.items()
        if list(counts.values()).count(max(counts.values())) > 1
    }
    assert 0 < len(tied) < n_items  # the data exercises both branches
    for item in range(n_items):
        label, confidence = ours[item]
        assert confidence == pytest.approx(probas.loc[item].max())
        if item not in tied:
            assert label == theirs[item]


# ----------------------------------------------------------------------------- weighted vote


def test_weights_flip_the_majority() -> None:
    answers = [("i", "expert", "cat"), ("i", "n1", "dog"), ("i", "n2", "dog"), ("i", "n3", "dog")]
    assert majority_vote(answers) == {"i": ("dog", 0.75)}
    weights = {"expert": 5.0, "n1": 1.0, "n2": 1.0, "n3": 1.0}
    assert weighted_vote(answers, weights) == {"i": ("cat", 5 / 8)}


def test_missing_worker_weighs_one() -> None:
    answers = [("i", "expert", "cat"), ("i", "new1", "dog"), ("i", "new2", "dog")]
    assert weighted_vote(answers, {"expert": 2.5}) == {"i": ("cat", 2.5 / 4.5)}
    assert weighted_vote(answers, {"expert": 1.5}) == {"i": ("dog", 2 / 3.5)}


def test_zero_weights_give_first_received_label_and_zero_confidence() -> None:
    answers = [("i", "a", "zebra"), ("i", "b", "yak"), ("j", "a", "cat"), ("j", "c", "dog")]
    result = weighted_vote(answers, {"a": 0.0, "b": 0.0})
    # Only labels the item received can win: "cat" (seen on j) must not win i.
    assert result["i"] == ("yak", 0.0)
    assert result["j"] == ("dog", 1.0)


def test_weighted_float_sums_that_differ_by_rounding_still_tie() -> None:
    # 0.1 + 0.2 != 0.3 in binary floating point; the tie tolerance makes it a tie anyway.
    answers = [("i", "a", "left"), ("i", "b", "left"), ("i", "c", "right")]
    weights = {"a": 0.1, "b": 0.2, "c": 0.3}
    assert weighted_vote(answers, weights)["i"][0] == "left"
    assert weighted_vote(answers, {"a": 0.2, "b": 0.1, "c": 0.3})["i"][0] == "left"
    answers = [("i", "a", "right"), ("i", "b", "right"), ("i", "c", "left")]
    assert weighted_vote(answers, weights)["i"][0] == "left"


def test_weighted_with_unit_weights_equals_majority() -> None:
    _, answers = planted_crowd(
        3, n_items=300, overlap=4, n_labels=3, honest=6, spammers=2, adversaries=0
    )
    workers = {worker for _, worker, _ in answers}
    assert weighted_vote(answers, dict.fromkeys(workers, 2.0)) == majority_vote(answers)


# ----------------------------------------------------------------------------- Dawid-Skene


def test_dawid_skene_beats_majority_with_spammers_and_adversaries() -> None:
    truth, answers = planted_crowd(
        11, n_items=1500, overlap=5, n_labels=3, honest=6, spammers=2, adversaries=3
    )
    by_majority = accuracy(majority_vote(answers), truth)
    by_dawid_skene = accuracy(dawid_skene(answers), truth)
    assert by_dawid_skene > 0.95
    assert by_dawid_skene > by_majority + 0.15


def test_dawid_skene_learns_a_systematic_liar() -> None:
    # w_liar always says the opposite of three reliable workers; on an item only the liar
    # labelled, its answer is still evidence, of the other label.
    answers: list[Answer] = []
    for item in range(60):
        truth = item % 2
        answers += [(item, f"w{k}", truth) for k in range(3)]
        answers.append((item, "w_liar", 1 - truth))
    answers.append(("solo", "w_liar", 1))
    result = dawid_skene(answers)
    assert result["solo"][0] == 0
    assert result["solo"][1] > 0.9
    assert all(result[item] == (item % 2, pytest.approx(1.0)) for item in range(60))


def test_dawid_skene_confidence_is_a_posterior() -> None:
    truth, answers = planted_crowd(
        5, n_items=1000, overlap=3, n_labels=4, honest=8, spammers=1, adversaries=0
    )
    result = dawid_skene(answers)
    confidences = np.array([confidence for _, confidence in result.values()])
    correct = np.array([result[item][0] == label for item, label in enumerate(truth.tolist())])
    assert ((confidences >= 1 / 4 - 1e-9) & (confidences <= 1.0)).all()  # max of 4 posteriors
    # Higher posterior, more often right: the confidence carries information.
    assert correct[confidences >= 0.95].mean() > correct[confidences < 0.8].mean() + 0.2


def test_dawid_skene_single_label_and_single_iteration() -> None:
    assert dawid_skene([("i", "w", "only"), ("j", "v", "only")]) == {
        "i": ("only", 1.0),
        "j": ("only", 1.0),
    }
    one_step = dawid_skene([("i", "w", "a"), ("i", "v", "a"), ("i", "u", "b")], max_iter=1)
    assert one_step["i"][0] == "a"


def reference_dawid_skene(answers: list[Answer], iterations: int) -> dict[Any, list[float]]:
    """Textbook EM in plain Python loops: posteriors per item, in label order."""
    items = sorted({item for item, _, _ in answers})
    workers = sorted({worker for _, worker, _ in answers})
    labels = sorted({label for _, _, label in answers})
    index = {label: k for k, label in enumerate(labels)}
    size = len(labels)
    posterior = {item: [0.0] * size for item in items}
    for item, _, label in answers:
        posterior[item][index[label]] += 1
    for item in items:
        total = sum(posterior[item])
        posterior[item] = [count / total for count in posterior[item]]
    for _ in range(iterations):
        prior = [
            (sum(posterior[item][c] for item in items) + SMOOTHING)
            / (len(items) + size * SMOOTHING)
            for c in range(size)
        ]
        counts = {(w, c, k): SMOOTHING for w in workers for c in range(size) for k in range(size)}
        for item, worker, label in answers:
            for c in range(size):
                counts[worker, c, index[label]] += posterior[item][c]
        for w in workers:
            for c in range(size):
                row = sum(counts[w, c, k] for k in range(size))
                for k in range(size):
                    counts[w, c, k] /= row
        log_joint = {item: [math.log(p) for p in prior] for item in items}
        for item, worker, label in answers:
            for c in range(size):
                log_joint[item][c] += math.log(counts[worker, c, index[label]])
        for item in items:
            peak = max(log_joint[item])
            joint = [math.exp(value - peak) for value in log_joint[item]]
            posterior[item] = [value / sum(joint) for value in joint]
    return posterior


def test_dawid_skene_matches_a_plain_python_reference() -> None:
    # Ragged overlap, a duplicate answer, and one item with more answers than the vectorized
    # path handles slot by slot (32), so every code path is compared.
    _, answers = planted_crowd(
        8, n_items=120, overlap=3, n_labels=3, honest=30, spammers=5, adversaries=5
    )
    answers = [*answers[5:], answers[9], *((999, worker, worker % 3) for worker in range(40))]
    iterations = 7
    expected = reference_dawid_skene(answers, iterations)
    result = dawid_skene(answers, max_iter=iterations, tol=0.0)  # tol=0: exactly 7 steps
    assert result.keys() == expected.keys()
    for item, (label, confidence) in result.items():
        assert confidence == pytest.approx(max(expected[item]), abs=1e-12)
        assert expected[item][label] == pytest.approx(max(expected[item]), abs=1e-12)


def crowdkit_fixture(seed: int) -> tuple[list[tuple[int, int, int]], pd.DataFrame]:
    # 1,000 items x 5 answers from 10 workers (one spammer, one adversary): ~500 answers per
    # worker, enough that EM settles within crowd-kit's own stopping rule. With much sparser
    # workers crowd-kit can stop early (its ELBO is not monotone), so the two then differ
    # on up to a few percent of items simply because one of them has not converged.
    _, answers = planted_crowd(
        seed, n_items=1000, overlap=5, n_labels=3, honest=8, spammers=1, adversaries=1
    )
    return answers, pd.DataFrame(answers, columns=["task", "worker", "label"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dawid_skene_agrees_with_crowdkit(seed: int) -> None:
    answers, frame = crowdkit_fixture(seed)
    ours = dawid_skene(answers, max_iter=100, tol=1e-6)
    theirs = DawidSkene(n_iter=100, tol=1e-6).fit_predict(frame)
    same = np.mean([ours[item][0] == theirs[item] for item in ours])
    assert same >= 0.999


def test_dawid_skene_posteriors_match_crowdkit_iteration_for_iteration() -> None:
    # Stopping rules disabled on both sides (tol=0 never triggers for us; crowd-kit stops
    # only when its loss changes by less than -inf): same EM, same number of steps, so the
    # posteriors differ only through our smoothing pseudo-count, which keeps confusion cells
    # of near-perfect workers ~1e-5 away from 0 where crowd-kit goes down to 1e-10.
    answers, frame = crowdkit_fixture(0)
    ours = dawid_skene(answers, max_iter=25, tol=0.0)
    model = DawidSkene(n_iter=25, tol=-math.inf)
    model.fit(frame)
    assert model.labels_ is not None
    assert model.probas_ is not None
    assert len(model.loss_history_) == 25
    assert {item: label for item, (label, _) in ours.items()} == model.labels_.to_dict()
    gaps = np.array(
        [
            abs(model.probas_.loc[item, label] - confidence)
            for item, (label, confidence) in ours.items()
        ]
    )
    assert np.median(gaps) < 1e-5
    assert gaps.max() < 5e-3


# ----------------------------------------------------------------------------- input order


def shuffled(answers: Sequence[AnswerT], seed: int) -> list[AnswerT]:
    copy = list(answers)
    random.Random(seed).shuffle(copy)
    return copy


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_shuffling_input_gives_bit_identical_output(
    method: Callable[[Iterable[Answer]], Result],
) -> None:
    # Two answers per item over two labels: about half the items are exact ties.
    _, answers = planted_crowd(
        9, n_items=500, overlap=2, n_labels=2, honest=5, spammers=2, adversaries=1
    )
    expected = method(answers)
    for seed in range(3):
        result = method(shuffled(answers, seed))
        assert list(result.items()) == list(expected.items())  # order and exact floats


def test_shuffling_weighted_vote_with_fractional_weights() -> None:
    _, answers = planted_crowd(
        4, n_items=500, overlap=3, n_labels=3, honest=7, spammers=1, adversaries=0
    )
    weights = {worker: 0.1 * (1 + worker % 7) for worker in range(8)}
    expected = weighted_vote(answers, weights)
    for seed in range(3):
        assert list(weighted_vote(shuffled(answers, seed), weights).items()) == list(
            expected.items()
        )


answer_lists = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.sampled_from(["ann", "bob", "cy", "dee"]),
        st.sampled_from([0, 1, "x", "y"]),  # mixed types: the (type, repr) fallback order
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(answers=answer_lists, data=st.data())
def test_any_permutation_gives_identical_output_property(
    answers: list[Answer], data: st.DataObject
) -> None:
    permuted = data.draw(st.permutations(answers))
    weights: dict[Hashable, float] = {"ann": 0.3, "bob": 1.7, "cy": 0.0}
    for method in METHODS:
        assert list(method(permuted).items()) == list(method(answers).items())
    assert weighted_vote(permuted, weights) == weighted_vote(answers, weights)


def canonical_first(labels: Iterable[Hashable]) -> Hashable:
    """The documented tie-break, written independently: natural order, else (type, repr)."""
    labels = list(labels)
    try:
        return min(labels)  # type: ignore[type-var]
    except TypeError:
        return min(labels, key=lambda label: (type(label).__qualname__, repr(label)))


@settings(max_examples=60, deadline=None)
@given(answers=answer_lists)
def test_majority_matches_a_plain_python_reference_property(answers: list[Answer]) -> None:
    result = majority_vote(answers)
    per_item: dict[Hashable, Counter[Hashable]] = {}
    for item, _, label in answers:
        per_item.setdefault(item, Counter())[label] += 1
    assert result.keys() == per_item.keys()
    for item, (label, confidence) in result.items():
        counts = per_item[item]
        top = max(counts.values())
        assert label == canonical_first(key for key, count in counts.items() if count == top)
        assert confidence == top / sum(counts.values())
    for method in METHODS:
        assert all(0.0 <= confidence <= 1.0 for _, confidence in method(answers).values())


# ----------------------------------------------------------------------------- bad input


class Unhashable:
    __hash__ = None  # type: ignore[assignment]


BAD_ANSWERS = [
    pytest.param([("i", "w")], id="too-short"),  # two fields: no label
    pytest.param([("i", "w", "x", "extra")], id="too-long"),  # four fields: ambiguous
    pytest.param(["abc"], id="string-row"),  # a 3-character string is not a 3-tuple
    pytest.param([{"item": "i", "worker": "w", "label": "x"}], id="dict-row"),  # mapping rows
    pytest.param([None], id="none-row"),  # missing row
    pytest.param([("i", "w", "x"), 42], id="scalar-row-later"),  # bad row after a good one
    pytest.param([(["i"], "w", "x")], id="unhashable-item"),  # list as item id
    pytest.param([("i", {"w"}, "x")], id="unhashable-worker"),  # set as worker id
    pytest.param([("i", "w", Unhashable())], id="unhashable-label"),  # object without hash
    pytest.param([(None, "w", "x")], id="none-item"),  # None means missing
    pytest.param([("i", None, "x")], id="none-worker"),  # None means missing
    pytest.param([("i", "w", None)], id="none-label"),  # an unanswered item, not a vote
    pytest.param([("i", "w", float("nan"))], id="nan-label"),  # NaN != NaN: uncountable
    pytest.param([(np.float64("nan"), "w", 1)], id="numpy-nan-item"),  # NumPy's NaN too
]


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize("answers", BAD_ANSWERS)
def test_invalid_answers_raise_value_error(
    method: Callable[[Iterable[Answer]], Result], answers: list[Any]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the defect
        method(answers)


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param({"w": -1.0}, id="negative"),  # negative weight would reward disagreeing
        pytest.param({"w": -0.0001}, id="slightly-negative"),  # no tolerance below zero
        pytest.param({"other": -1.0}, id="negative-absent-worker"),  # checked even if unused
        pytest.param({"w": math.nan}, id="nan"),  # NaN poisons every sum
        pytest.param({"w": math.inf}, id="inf"),  # inf / inf confidence
        pytest.param({"w": "2"}, id="string"),  # not a number, even if it parses as one
        pytest.param({"w": True}, id="bool"),  # bool is an int, but a weight of True is a bug
        pytest.param({"w": None}, id="none"),  # missing workers are left out, not None
        pytest.param([("w", 1.0)], id="not-a-mapping"),  # pairs instead of a mapping
    ],
)
def test_invalid_weights_raise_value_error(weights: Any) -> None:
    with pytest.raises(ValueError, match="weight"):
        weighted_vote([("i", "w", "x")], weights)


def test_invalid_weights_raise_even_for_empty_answers() -> None:
    with pytest.raises(ValueError, match="weight"):
        weighted_vote([], {"w": -1.0})


@pytest.mark.parametrize(
    ("max_iter", "tol"),
    [
        pytest.param(0, 1e-6, id="no-iterations"),  # EM needs at least one step
        pytest.param(-5, 1e-6, id="negative-iterations"),  # nonsense
        pytest.param(2.5, 1e-6, id="fractional-iterations"),  # not a count
        pytest.param(True, 1e-6, id="bool-iterations"),  # bool is an int, still a bug
        pytest.param(10, -1e-6, id="negative-tol"),  # a change can't be below zero
        pytest.param(10, math.nan, id="nan-tol"),  # every comparison false: never stops early
        pytest.param(10, math.inf, id="inf-tol"),  # would stop before learning anything
        pytest.param(10, "1e-6", id="string-tol"),  # not a number
    ],
)
def test_invalid_dawid_skene_parameters_raise_value_error(max_iter: Any, tol: Any) -> None:
    with pytest.raises(ValueError, match=r"max_iter|tol"):
        dawid_skene([("i", "w", "x")], max_iter=max_iter, tol=tol)
