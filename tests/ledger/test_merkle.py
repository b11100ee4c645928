"""Tests for ledger.merkle (RFC 6962 section 2.1 / RFC 9162 section 2.1).

Three independent sources of truth:

* published vectors from the Certificate Transparency reference code
  (transparency-dev/merkle ``proof/verify_test.go`` and ``rfc6962/rfc6962_test.go``, which
  carry the values of the original CT C++ suite);
* a deliberately naive recursive implementation transcribed from the RFC 6962 text
  below (``_bf_*``), built on hashlib directly so a bug in ``leaf_hash``/``node_hash``
  cannot cancel out;
* structural invariants checked on huge trees via hypothesis.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.merkle import (
    EMPTY_ROOT,
    CompositeNode,
    Node,
    PerfectSubtree,
    assemble_proof,
    consistency_proof,
    consistency_proof_from_hashes,
    consistency_proof_nodes,
    frontier_append,
    frontier_append_subtrees,
    frontier_extend,
    frontier_extend_keys,
    frontier_root,
    frontier_size,
    frontier_subtrees,
    inclusion_proof,
    inclusion_proof_from_hashes,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    root_hash,
    subtree_keys,
    verify_consistency,
    verify_inclusion,
)

MAX_BRUTE_FORCE_SIZE = 64


def _hex(*values: str) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


# ------------------------------------------------------------------ reference vectors

CT_LEAVES = _hex(
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)

# Root of the tree made of the first n CT_LEAVES.
CT_ROOTS = dict(
    enumerate(
        _hex(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        )
    )
)

# (index, tree_size, path).  The Go tables number leaves from 1; converted to 0-based.
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        _hex(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _hex(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _hex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _hex(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (old_size, new_size, proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        _hex(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _hex(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _hex(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _hex(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

# A valid-looking hash that is nothing in any tree used here.
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_hash_primitives_match_reference_vectors() -> None:
    assert leaf_hash(b"") == CT_ROOTS[1]
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == CT_ROOTS[0]


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    left, right = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(left, right) != leaf_hash(left + right)
    assert node_hash(left, right) != node_hash(right, left)
    assert leaf_hash(b"") != EMPTY_ROOT


@pytest.mark.parametrize("size", range(len(CT_LEAVES) + 1))
def test_reference_roots(size: int) -> None:
    hashes = [leaf_hash(data) for data in CT_LEAVES[:size]]
    assert root_hash(CT_LEAVES[:size]) == CT_ROOTS[size]
    assert root_from_leaf_hashes(hashes) == CT_ROOTS[size]
    assert _fold_frontier(hashes)[1] == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, expected: list[bytes]) -> None:
    leaves = CT_LEAVES[:size]
    assert inclusion_proof(index, leaves) == expected
    assert _bf_path(index, tuple(leaves)) == expected
    assert verify_inclusion(leaf_hash(leaves[index]), index, size, expected, CT_ROOTS[size])
    _assert_inclusion_mutations_rejected(leaves, index, expected)


@pytest.mark.parametrize(("old_size", "new_size", "expected"), CT_CONSISTENCY)
def test_reference_consistency_proofs(old_size: int, new_size: int, expected: list[bytes]) -> None:
    leaves = CT_LEAVES[:new_size]
    assert consistency_proof(old_size, leaves) == expected
    assert _bf_proof(old_size, tuple(leaves)) == expected
    assert verify_consistency(old_size, new_size, CT_ROOTS[old_size], CT_ROOTS[new_size], expected)
    if expected:
        _assert_consistency_mutations_rejected(leaves, old_size, expected)


# ---------------------------------------------------- brute force, from the RFC 6962 text


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _bf_k(n: int) -> int:
    # "k be the largest power of two smaller than n (i.e., k < n <= 2k)"
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def _bf_mth(d: tuple[bytes, ...]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _bf_k(n)
    return _sha256(b"\x01" + _bf_mth(d[:k]) + _bf_mth(d[k:]))


def _bf_path(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _bf_k(n)
    if m < k:
        return [*_bf_path(m, d[:k]), _bf_mth(d[k:])]
    return [*_bf_path(m - k, d[k:]), _bf_mth(d[:k])]


def _bf_subproof(m: int, d: tuple[bytes, ...], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [_bf_mth(d)]
    k = _bf_k(n)
    if m <= k:
        return [*_bf_subproof(m, d[:k], b), _bf_mth(d[k:])]
    return [*_bf_subproof(m - k, d[k:], False), _bf_mth(d[:k])]


def _bf_proof(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    return _bf_subproof(m, d, True)


# The *shape* of a proof (which side each element goes on) is all an RFC 9162 verifier
# acts on.  Two sizes with the same shape make it compute exactly the same thing, so a
# proof for one is, unavoidably, accepted for the other with the same roots: the tree
# size is bound by the signed tree head, not by the proof.  The wrong-size tests use
# these as the exact oracle instead of pretending every other size must fail.
@cache
def _bf_path_shape(m: int, n: int) -> tuple[bool, ...]:
    if n == 1:
        return ()
    k = _bf_k(n)
    if m < k:
        return (*_bf_path_shape(m, k), True)
    return (*_bf_path_shape(m - k, n - k), False)


@cache
def _bf_proof_shape(m: int, n: int, b: bool = True) -> tuple[str, ...]:
    if m == n:
        return () if b else ("seed",)
    k = _bf_k(n)
    if m <= k:
        return (*_bf_proof_shape(m, k, b), "right")
    return (*_bf_proof_shape(m - k, n - k, False), "left")


# Distinct leaves, so that a proof for the wrong index can never be right by accident.
DATA = tuple(f"entry #{i}".encode() * (i % 3) for i in range(MAX_BRUTE_FORCE_SIZE * 2 + 2))
DATA_HASHES = tuple(_sha256(b"\x00" + data) for data in DATA)
SIZES = range(1, MAX_BRUTE_FORCE_SIZE + 1)


def _tree(n: int) -> tuple[bytes, ...]:
    return DATA[:n]


def test_brute_force_agrees_with_reference_vectors() -> None:
    # Guards the oracle itself: everything below trusts it.
    for size, root in CT_ROOTS.items():
        assert _bf_mth(tuple(CT_LEAVES[:size])) == root


@pytest.mark.parametrize("n", range(MAX_BRUTE_FORCE_SIZE + 1))
def test_roots_match_brute_force(n: int) -> None:
    assert root_hash(_tree(n)) == _bf_mth(_tree(n))
    assert root_from_leaf_hashes(DATA_HASHES[:n]) == _bf_mth(_tree(n))


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_proofs_match_brute_force_and_verify(n: int) -> None:
    leaves, root = _tree(n), _bf_mth(_tree(n))
    for index in range(n):
        expected = _bf_path(index, leaves)
        assert inclusion_proof(index, leaves) == expected, index
        assert inclusion_proof_from_hashes(index, DATA_HASHES[:n]) == expected, index
        assert verify_inclusion(DATA_HASHES[index], index, n, expected, root), index


@pytest.mark.parametrize("n", SIZES)
def test_consistency_proofs_match_brute_force_and_verify(n: int) -> None:
    leaves, new_root = _tree(n), _bf_mth(_tree(n))
    for old_size in range(n + 1):
        expected = _bf_proof(old_size, leaves) if 0 < old_size < n else []
        assert consistency_proof(old_size, leaves) == expected, old_size
        assert consistency_proof_from_hashes(old_size, DATA_HASHES[:n]) == expected, old_size
        old_root = _bf_mth(leaves[:old_size])
        assert verify_consistency(old_size, n, old_root, new_root, expected), old_size


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_verifier_rejects_every_mutation(n: int) -> None:
    for index in range(n):
        _assert_inclusion_mutations_rejected(_tree(n), index, _bf_path(index, _tree(n)))


@pytest.mark.parametrize("n", SIZES)
def test_consistency_verifier_rejects_every_mutation(n: int) -> None:
    for old_size in range(1, n):
        proof = _bf_proof(old_size, _tree(n))
        _assert_consistency_mutations_rejected(_tree(n), old_size, proof)


def _flip(value: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(value)
    changed[position] ^= mask
    return bytes(changed)


def _proof_mutations(
    proof: list[bytes], extras: Sequence[bytes]
) -> Iterator[tuple[str, list[bytes]]]:
    """Every single-step corruption of a proof: flipped bytes, dropped, inserted,
    replaced and swapped elements.  None of them may verify."""
    for i, element in enumerate(proof):
        yield f"flip first byte of [{i}]", [*proof[:i], _flip(element, 0), *proof[i + 1 :]]
        yield f"flip last byte of [{i}]", [*proof[:i], _flip(element, -1, 0x80), *proof[i + 1 :]]
        yield f"drop [{i}]", proof[:i] + proof[i + 1 :]
        for extra in extras[:2]:
            if extra != element:
                yield f"replace [{i}]", [*proof[:i], extra, *proof[i + 1 :]]
        if i + 1 < len(proof) and proof[i] != proof[i + 1]:
            swapped = list(proof)
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            yield f"swap [{i}] and [{i + 1}]", swapped
    for i in range(len(proof) + 1):
        # A copy of a neighbour is the insertion most likely to slip past a sloppy
        # verifier; one unrelated hash covers the rest.
        for extra in (extras[0], *proof[max(i - 1, 0) : i + 1]):
            yield f"insert at {i}", [*proof[:i], extra, *proof[i:]]
    if len(proof) > 1 and proof != proof[::-1]:
        yield "reversed", proof[::-1]


def _assert_inclusion_mutations_rejected(
    leaves: Sequence[bytes], index: int, proof: list[bytes]
) -> None:
    n = len(leaves)
    root = _bf_mth(tuple(leaves))
    leaf = _sha256(b"\x00" + leaves[index])
    assert verify_inclusion(leaf, index, n, proof, root)

    extras = (SOME_HASH, root, leaf, EMPTY_ROOT)
    for description, mutated in _proof_mutations(proof, extras):
        assert not verify_inclusion(leaf, index, n, mutated, root), description

    # An extra element hashed on top, presented together with the root it produces: only
    # the "proof longer than the tree is tall" rule stops this.
    for extra in (SOME_HASH, leaf):
        taller_root = _sha256(b"\x01" + extra + root)
        assert not verify_inclusion(leaf, index, n, [*proof, extra], taller_root), "taller"

    wrong_indices = {index - 1, index + 1, index ^ 1, index ^ 2, 0, n - 1, n, n + 1, -1}
    if n <= 16:
        wrong_indices |= set(range(n))
    for wrong in wrong_indices - {index}:
        assert not verify_inclusion(leaf, wrong, n, proof, root), f"index {wrong}"

    for wrong_leaf in {_flip(leaf, 0), root, SOME_HASH, _sha256(b"\x00" + leaves[index - 1])}:
        if wrong_leaf != leaf:
            assert not verify_inclusion(wrong_leaf, index, n, proof, root), "wrong leaf"
    for wrong_root in {_flip(root, 5), leaf, EMPTY_ROOT, SOME_HASH, _bf_mth(tuple(leaves[:-1]))}:
        if wrong_root != root:
            assert not verify_inclusion(leaf, index, n, proof, wrong_root), "wrong root"

    wrong_sizes = {n - 2, n - 1, n + 1, n + 2, 2 * n, n // 2, n ^ 1, 0, -n}
    for size in wrong_sizes - {n}:
        same_shape = index < size and _bf_path_shape(index, size) == _bf_path_shape(index, n)
        assert verify_inclusion(leaf, index, size, proof, root) == same_shape, f"size {size}"


def _assert_consistency_mutations_rejected(
    leaves: Sequence[bytes], old_size: int, proof: list[bytes]
) -> None:
    n = len(leaves)
    old_root, new_root = _bf_mth(tuple(leaves[:old_size])), _bf_mth(tuple(leaves))
    assert verify_consistency(old_size, n, old_root, new_root, proof)

    extras = (SOME_HASH, old_root, new_root, EMPTY_ROOT)
    for description, mutated in _proof_mutations(proof, extras):
        assert not verify_consistency(old_size, n, old_root, new_root, mutated), description
    assert not verify_consistency(old_size, n, old_root, new_root, []), "empty proof"
    # An extra element hashed on top of both roots, presented with the roots it produces.
    taller_old, taller_new = (_sha256(b"\x01" + SOME_HASH + r) for r in (old_root, new_root))
    taller_proof = [*proof, SOME_HASH]
    assert not verify_consistency(old_size, n, taller_old, taller_new, taller_proof), "taller"
    assert not verify_consistency(old_size, n, new_root, old_root, proof), "swapped roots"
    for wrong in {_flip(old_root, 0), SOME_HASH, EMPTY_ROOT, new_root} - {old_root}:
        assert not verify_consistency(old_size, n, wrong, new_root, proof), "wrong old root"
    for wrong in {_flip(new_root, 31, 0x80), SOME_HASH, EMPTY_ROOT, old_root} - {new_root}:
        assert not verify_consistency(old_size, n, old_root, wrong, proof), "wrong new root"

    expected_shape = _bf_proof_shape(old_size, n)
    old_sizes = {old_size - 1, old_size + 1, old_size ^ 1, old_size ^ 2, 2 * old_size, -1}
    new_sizes = {n - 1, n + 1, n ^ 1, 2 * n, n // 2, old_size, -n}
    candidates = {(size, n) for size in old_sizes} | {(old_size, size) for size in new_sizes}
    for first, second in candidates - {(old_size, n)}:
        same_shape = 0 < first < second and _bf_proof_shape(first, second) == expected_shape
        got = verify_consistency(first, second, old_root, new_root, proof)
        assert got == same_shape, f"sizes {first} -> {second}"


def test_size_is_not_bound_by_the_proof_alone() -> None:
    # Documents the inherent RFC 6962 property the verifier docstring warns about, so
    # nobody "fixes" a test above into asserting the impossible.
    proof, root = _bf_path(0, _tree(5)), _bf_mth(_tree(5))
    assert all(verify_inclusion(DATA_HASHES[0], 0, size, proof, root) for size in (5, 6, 7, 8))
    assert not verify_inclusion(DATA_HASHES[0], 0, 9, proof, root)
    assert not verify_inclusion(DATA_HASHES[0], 0, 4, proof, root)


# --------------------------------------------------------- proof nodes from a subtree store


def _perfect_subtree_store(n: int) -> dict[tuple[int, int], bytes]:
    """Every complete subtree of the n-leaf tree, hashed by the brute force: what a
    database storing all perfect subtree hashes would hold at size n."""
    store = {}
    level = 0
    while (1 << level) <= n:
        for index in range(n >> level):
            start, end = index << level, (index + 1) << level
            store[(level, index)] = _bf_mth(_tree(n)[start:end])
        level += 1
    return store


@pytest.mark.parametrize("n", SIZES)
def test_assembled_proofs_equal_direct_proofs(n: int) -> None:
    store = _perfect_subtree_store(n)
    for index in range(n):
        nodes = inclusion_proof_nodes(index, n)
        assert set(subtree_keys(nodes)) <= store.keys()
        assembled = assemble_proof(nodes, store)
        assert assembled == inclusion_proof_from_hashes(index, DATA_HASHES[:n]), index
        assert assembled == _bf_path(index, _tree(n)), index
    for old_size in range(n + 1):
        nodes = consistency_proof_nodes(old_size, n)
        assert set(subtree_keys(nodes)) <= store.keys()
        assembled = assemble_proof(nodes, store)
        assert assembled == consistency_proof_from_hashes(old_size, DATA_HASHES[:n]), old_size
    frontier = [(subtree.level, store[subtree.key]) for subtree in frontier_subtrees(n)]
    assert frontier_root(frontier) == _bf_mth(_tree(n))


def test_proof_nodes_examples() -> None:
    # Index 0 of 7 leaves: leaf 1, pair [2, 4), then the right edge [4, 7) which is
    # not stored as one hash but folded from [4, 6) and [6, 7).
    assert inclusion_proof_nodes(0, 7) == [
        PerfectSubtree(0, 1),
        PerfectSubtree(1, 1),
        CompositeNode((PerfectSubtree(1, 2), PerfectSubtree(0, 6))),
    ]
    assert consistency_proof_nodes(6, 7) == [
        PerfectSubtree(1, 2),
        PerfectSubtree(0, 6),
        PerfectSubtree(2, 0),
    ]
    assert consistency_proof_nodes(4, 8) == [PerfectSubtree(2, 1)]
    assert consistency_proof_nodes(0, 8) == consistency_proof_nodes(8, 8) == []
    assert subtree_keys(inclusion_proof_nodes(0, 7)) == [(0, 1), (1, 1), (1, 2), (0, 6)]
    assert frontier_subtrees(0) == []
    assert frontier_subtrees(13) == [
        PerfectSubtree(3, 0),
        PerfectSubtree(2, 2),
        PerfectSubtree(0, 12),
    ]


class _UniformTree(Mapping[tuple[int, int], bytes]):
    """Subtree store of an arbitrarily large tree whose leaves are all identical, so the
    hash of a subtree depends only on its level.  Refuses (KeyError) subtrees that are
    not complete yet, like a real store would, and counts lookups."""

    LEAF = b"same leaf"

    def __init__(self, size: int) -> None:
        self.size = size
        self.lookups = 0
        self._roots: dict[int, bytes] = {}
        self._by_level = [_sha256(b"\x00" + self.LEAF)]
        while len(self._by_level) <= size.bit_length():
            below = self._by_level[-1]
            self._by_level.append(_sha256(b"\x01" + below + below))

    def __getitem__(self, key: tuple[int, int]) -> bytes:
        level, index = key
        if level < 0 or index < 0 or (index + 1) << level > self.size:
            raise KeyError(key)
        self.lookups += 1
        return self._by_level[level]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for level in range(self.size.bit_length()):
            for index in range(self.size >> level):
                yield (level, index)

    def __len__(self) -> int:
        return 2 * self.size - self.size.bit_count()

    def root(self, size: int) -> bytes:
        # MTH straight from the RFC recursion; memoised, it makes O(log n) distinct calls.
        if size not in self._roots:
            if size == 1:
                self._roots[size] = self._by_level[0]
            else:
                k = _bf_k(size)
                self._roots[size] = _sha256(b"\x01" + self.root(k) + self.root(size - k))
        return self._roots[size]


HUGE_SIZES = [10**6, 2**20, 2**20 + 1, 2**40 + 12345, 2**63 - 1]


@pytest.mark.parametrize("n", HUGE_SIZES)
def test_proofs_from_store_on_huge_trees_are_logarithmic(n: int) -> None:
    store = _UniformTree(n)
    budget = 2 * n.bit_length() + 2
    for index in {0, 1, n // 3, n // 2, n - 2, n - 1}:
        nodes = inclusion_proof_nodes(index, n)
        assert len(nodes) <= n.bit_length()
        before = store.lookups
        proof = assemble_proof(nodes, store)
        assert store.lookups - before <= budget
        assert verify_inclusion(store[(0, index)], index, n, proof, store.root(n)), index
    for old_size in {1, 2, 3, n // 3, n // 2, n - 1}:
        nodes = consistency_proof_nodes(old_size, n)
        before = store.lookups
        proof = assemble_proof(nodes, store)
        assert store.lookups - before <= budget
        assert verify_consistency(old_size, n, store.root(old_size), store.root(n), proof)


def _node_ranges(nodes: Sequence[Node], size: int) -> list[tuple[int, int]]:
    """Checks what a subtree store relies on and returns each node's leaf range."""
    ranges = []
    for node in nodes:
        parts = node.parts if isinstance(node, CompositeNode) else (node,)
        for part in parts:
            # Aligned and complete: exactly the subtrees a store can have.
            assert part.start % (1 << part.level) == 0
            assert part.end <= size
        for left, right in itertools.pairwise(parts):
            assert left.end == right.start
            assert left.level > right.level
        if isinstance(node, CompositeNode):
            # Composites only ever sit on the right edge; everything else is stored.
            assert node.end == size
        ranges.append((node.start, node.end))
    return ranges


@settings(max_examples=100, deadline=None)
@given(data=st.data(), size=st.integers(1, 2**64))
def test_inclusion_nodes_tile_the_tree(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(0, size - 1))
    ranges = sorted([*_node_ranges(inclusion_proof_nodes(index, size), size), (index, index + 1)])
    assert ranges[0][0] == 0
    assert ranges[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert len(ranges) - 1 <= size.bit_length()


@settings(max_examples=100, deadline=None)
@given(data=st.data(), size=st.integers(2, 2**64))
def test_consistency_nodes_tile_the_tree(data: st.DataObject, size: int) -> None:
    old_size = data.draw(st.integers(1, size - 1))
    ranges = _node_ranges(consistency_proof_nodes(old_size, size), size)
    # When the old tree is a perfect subtree its root is left out of the proof, and
    # that is the only gap.
    if old_size & (old_size - 1) == 0:
        ranges.append((0, old_size))
    ranges.sort()
    assert ranges[0][0] == 0
    assert ranges[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert any(end == old_size for _, end in ranges), "old tree boundary must be a node edge"
    assert len(ranges) <= 2 * size.bit_length()


# ------------------------------------------------------------------------------ frontier


def _fold_frontier(hashes: Sequence[bytes]) -> tuple[list[tuple[int, bytes]], bytes]:
    frontier: list[tuple[int, bytes]] = []
    for value in hashes:
        frontier = frontier_append(frontier, value)
    return frontier, frontier_root(frontier)


def test_frontier_tracks_root_and_emits_every_perfect_subtree_once() -> None:
    frontier: list[tuple[int, bytes]] = []
    emitted: dict[tuple[int, int], bytes] = {}
    assert frontier_root(frontier) == EMPTY_ROOT
    for n in range(1, MAX_BRUTE_FORCE_SIZE + 1):
        before = list(frontier)
        frontier, completed = frontier_append_subtrees(frontier, DATA_HASHES[n - 1])
        assert before == frontier[: len(before)] or len(frontier) <= len(before)
        for subtree, value in completed:
            assert subtree.key not in emitted, "a perfect subtree completes exactly once"
            emitted[subtree.key] = value
        assert frontier_size(frontier) == n
        assert frontier_root(frontier) == _bf_mth(_tree(n))
        store = _perfect_subtree_store(n)
        assert emitted == store
        assert frontier == [(s.level, store[s.key]) for s in frontier_subtrees(n)]


def test_frontier_extend_equals_one_append_at_a_time() -> None:
    for start in (0, 1, 5, 8, 13):
        for count in (0, 1, 2, 7, 16, 19):
            base, _ = _fold_frontier(DATA_HASHES[:start])
            one_by_one = list(base)
            expected_completed = []
            for value in DATA_HASHES[start : start + count]:
                one_by_one, completed = frontier_append_subtrees(one_by_one, value)
                expected_completed.extend(completed)
            extended, completed = frontier_extend(base, DATA_HASHES[start : start + count])
            assert extended == one_by_one
            assert completed == expected_completed
            assert base == _fold_frontier(DATA_HASHES[:start])[0], "input left unchanged"


def test_frontier_extend_keys_gives_the_same_subtrees_as_rows() -> None:
    for start in (0, 1, 5, 8, 13):
        for count in (0, 1, 2, 7, 16, 19):
            base, _ = _fold_frontier(DATA_HASHES[:start])
            extended, completed = frontier_extend(base, DATA_HASHES[start : start + count])
            keyed, rows = frontier_extend_keys(base, DATA_HASHES[start : start + count])
            assert keyed == extended
            assert rows == [(s.level, s.index, value) for s, value in completed]
    with pytest.raises(ValueError, match="32-byte"):
        frontier_extend_keys([], [DATA_HASHES[0], b"short"])


def test_frontier_extend_rejects_a_bad_leaf_hash_anywhere_in_the_batch() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        frontier_extend([], [DATA_HASHES[0], b"short"])


def test_frontier_append_does_not_modify_its_input() -> None:
    frontier = [(1, DATA_HASHES[0]), (0, DATA_HASHES[1])]
    snapshot = list(frontier)
    frontier_append(frontier, DATA_HASHES[2])
    assert frontier == snapshot


@pytest.mark.parametrize(
    "frontier",
    [
        pytest.param([(0, SOME_HASH), (1, SOME_HASH)], id="heights increase"),
        pytest.param([(1, SOME_HASH), (1, SOME_HASH)], id="repeated height: not a tree size"),
        pytest.param([(-1, SOME_HASH)], id="negative height"),
        pytest.param([(True, SOME_HASH)], id="bool height"),
        pytest.param([(0, SOME_HASH[:31])], id="short hash"),
        pytest.param([(0, SOME_HASH.hex())], id="hex str hash"),
        pytest.param([(0, SOME_HASH, 1)], id="triple instead of pair"),
        pytest.param([[0, SOME_HASH]], id="list instead of tuple"),
    ],
)
def test_malformed_frontier_is_rejected(frontier: list[tuple[int, bytes]]) -> None:
    with pytest.raises(ValueError, match="frontier"):
        frontier_root(frontier)
    with pytest.raises(ValueError, match="frontier"):
        frontier_append(frontier, SOME_HASH)


def test_storage_helpers_accept_memoryview_and_return_bytes() -> None:
    # Database drivers return binary columns as memoryview.
    store = {key: memoryview(value) for key, value in _perfect_subtree_store(8).items()}
    proof = assemble_proof(inclusion_proof_nodes(5, 8), store)
    assert proof == _bf_path(5, _tree(8))
    assert all(type(element) is bytes for element in proof)
    frontier = frontier_append([(1, memoryview(DATA_HASHES[0]))], bytearray(DATA_HASHES[2]))
    assert all(type(value) is bytes for _, value in frontier)
    assert root_from_leaf_hashes([memoryview(h) for h in DATA_HASHES[:5]]) == _bf_mth(_tree(5))


def test_frontier_append_rejects_a_bad_leaf_hash() -> None:
    with pytest.raises(ValueError, match="new_leaf_hash"):
        frontier_append([], b"raw leaf data, not a hash")


# ---------------------------------------------------------------- bad input: generators

LEAVES8 = tuple(CT_LEAVES)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        # Index outside [0, n).
        pytest.param(lambda: inclusion_proof(-1, LEAVES8), ValueError, "non-negative", id="neg"),
        pytest.param(lambda: inclusion_proof(8, LEAVES8), ValueError, "out of range", id="idx=n"),
        pytest.param(lambda: inclusion_proof(0, []), ValueError, "out of range", id="empty tree"),
        # bool/float are not indices even though they compare equal to one.
        pytest.param(lambda: inclusion_proof(True, LEAVES8), TypeError, "int", id="bool index"),
        pytest.param(lambda: inclusion_proof(1.0, LEAVES8), TypeError, "int", id="float index"),  # type: ignore[arg-type]
        # Old size outside [0, n].
        pytest.param(lambda: consistency_proof(-1, LEAVES8), ValueError, "non-negative", id="-1"),
        pytest.param(lambda: consistency_proof(9, LEAVES8), ValueError, "larger", id="old>n"),
        pytest.param(lambda: consistency_proof(False, LEAVES8), TypeError, "int", id="bool old"),
        # Hash-level entry points insist on 32-byte hashes, not leaf data.
        pytest.param(
            lambda: inclusion_proof_from_hashes(0, [b"leaf"]), ValueError, "32", id="raw data"
        ),
        pytest.param(
            lambda: consistency_proof_from_hashes(1, [SOME_HASH, SOME_HASH[:-1]]),
            ValueError,
            r"hashes\[1\]",
            id="short hash",
        ),
        pytest.param(lambda: root_from_leaf_hashes(["00" * 32]), ValueError, "32", id="hex str"),  # type: ignore[list-item]
        # Node planners: same contract, without any leaves.
        pytest.param(lambda: inclusion_proof_nodes(5, 5), ValueError, "range", id="nodes idx=n"),
        pytest.param(lambda: inclusion_proof_nodes(0, -1), ValueError, "tree_size", id="neg n"),
        pytest.param(lambda: consistency_proof_nodes(6, 5), ValueError, "larger", id="old>new"),
        pytest.param(lambda: consistency_proof_nodes(0, -1), ValueError, "new_size", id="neg"),
        pytest.param(lambda: frontier_subtrees(-1), ValueError, "tree_size", id="neg frontier"),
        # A store missing a hash, or holding a corrupt one, must fail loudly.
        pytest.param(
            lambda: assemble_proof(inclusion_proof_nodes(0, 2), {}),
            ValueError,
            "level=0 index=1",
            id="missing hash",
        ),
        pytest.param(
            lambda: assemble_proof([PerfectSubtree(0, 1)], {(0, 1): b"short"}),
            ValueError,
            "32 bytes",
            id="corrupt hash",
        ),
        pytest.param(
            lambda: CompositeNode((PerfectSubtree(0, 0),)), ValueError, "two", id="1 part"
        ),
        pytest.param(lambda: PerfectSubtree(-1, 0), ValueError, "level", id="negative level"),
    ],
)
def test_generators_reject_bad_arguments(call: object, error: type[Exception], match: str) -> None:
    assert callable(call)
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("n", [0, 1, 8])
def test_trivial_consistency_proofs_are_empty(n: int) -> None:
    assert consistency_proof(0, LEAVES8[:n]) == []
    assert consistency_proof(n, LEAVES8[:n]) == []


# ----------------------------------------------------------------- bad input: verifiers

LEAF1 = leaf_hash(CT_LEAVES[1])
_, _, PROOF_1_OF_5 = CT_INCLUSION[4]
ROOT1, ROOT4, ROOT5, ROOT6, ROOT7, ROOT8 = (CT_ROOTS[i] for i in (1, 4, 5, 6, 7, 8))


def _replace(proof: list[bytes], position: int, value: object) -> list[object]:
    changed: list[object] = list(proof)
    changed[position] = value
    return changed


def test_verifier_table_base_cases_are_valid() -> None:
    # The rows below each break one thing of these; they must start out valid.
    assert verify_inclusion(LEAF1, 1, 5, PROOF_1_OF_5, ROOT5)
    assert verify_inclusion(ROOT1, 0, 1, [], ROOT1)
    assert verify_consistency(6, 8, ROOT6, ROOT8, CT_CONSISTENCY[2][2])
    assert verify_consistency(1, 8, ROOT1, ROOT8, CT_CONSISTENCY[1][2])


@pytest.mark.parametrize(
    ("leaf", "index", "tree_size", "proof", "root"),
    [
        # Sizes and indices.
        pytest.param(LEAF1, -1, 5, PROOF_1_OF_5, ROOT5, id="negative index"),
        pytest.param(LEAF1, 5, 5, PROOF_1_OF_5, ROOT5, id="index == tree_size"),
        pytest.param(LEAF1, 6, 5, PROOF_1_OF_5, ROOT5, id="index > tree_size"),
        pytest.param(LEAF1, 1, -5, PROOF_1_OF_5, ROOT5, id="negative tree_size"),
        pytest.param(EMPTY_ROOT, 0, 0, [], EMPTY_ROOT, id="tree_size 0 holds nothing"),
        pytest.param(LEAF1, 0, 5, PROOF_1_OF_5, ROOT5, id="wrong index"),
        pytest.param(LEAF1, 1, 2**70, PROOF_1_OF_5, ROOT5, id="huge tree_size"),
        pytest.param(LEAF1, 1, 10, PROOF_1_OF_5, ROOT5, id="tree_size * 2"),
        # bool is an int subclass and True == 1; it must still not be a valid index/size.
        pytest.param(LEAF1, True, 5, PROOF_1_OF_5, ROOT5, id="index True"),
        pytest.param(ROOT1, False, 1, [], ROOT1, id="index False"),
        pytest.param(ROOT1, 0, True, [], ROOT1, id="tree_size True"),
        pytest.param(LEAF1, 1.0, 5, PROOF_1_OF_5, ROOT5, id="float index"),
        pytest.param(LEAF1, "1", 5, PROOF_1_OF_5, ROOT5, id="str index"),
        pytest.param(LEAF1, 1, None, PROOF_1_OF_5, ROOT5, id="None tree_size"),
        pytest.param(LEAF1, 1, 5.0, PROOF_1_OF_5, ROOT5, id="float tree_size"),
        # Leaf hash.
        pytest.param(LEAF1[:31], 1, 5, PROOF_1_OF_5, ROOT5, id="leaf hash 31 bytes"),
        pytest.param(LEAF1 + b"\0", 1, 5, PROOF_1_OF_5, ROOT5, id="leaf hash 33 bytes"),
        pytest.param(bytearray(LEAF1), 1, 5, PROOF_1_OF_5, ROOT5, id="leaf hash bytearray"),
        pytest.param(memoryview(LEAF1), 1, 5, PROOF_1_OF_5, ROOT5, id="leaf hash memoryview"),
        pytest.param(LEAF1.hex(), 1, 5, PROOF_1_OF_5, ROOT5, id="leaf hash as hex str"),
        pytest.param(CT_LEAVES[1], 1, 5, PROOF_1_OF_5, ROOT5, id="raw leaf data not hash"),
        pytest.param(None, 1, 5, PROOF_1_OF_5, ROOT5, id="leaf hash None"),
        pytest.param(ROOT5, 1, 5, PROOF_1_OF_5, LEAF1, id="leaf and root swapped"),
        # Root.
        pytest.param(LEAF1, 1, 5, PROOF_1_OF_5, ROOT5[:31], id="root 31 bytes"),
        pytest.param(LEAF1, 1, 5, PROOF_1_OF_5, bytearray(ROOT5), id="root bytearray"),
        pytest.param(LEAF1, 1, 5, PROOF_1_OF_5, ROOT5.hex(), id="root as hex str"),
        pytest.param(LEAF1, 1, 5, PROOF_1_OF_5, None, id="root None"),
        pytest.param(LEAF1, 1, 5, PROOF_1_OF_5, EMPTY_ROOT, id="empty-tree root"),
        pytest.param(LEAF1, 1, 5, PROOF_1_OF_5, ROOT4, id="root of another size"),
        # Proof elements.
        pytest.param(LEAF1, 1, 5, _replace(PROOF_1_OF_5, 0, PROOF_1_OF_5[0][:31]), ROOT5, id="31B"),
        pytest.param(
            LEAF1, 1, 5, _replace(PROOF_1_OF_5, 2, PROOF_1_OF_5[2] + b"\0"), ROOT5, id="33B"
        ),
        pytest.param(LEAF1, 1, 5, _replace(PROOF_1_OF_5, 1, b""), ROOT5, id="empty element"),
        pytest.param(
            LEAF1,
            1,
            5,
            _replace(PROOF_1_OF_5, 0, bytearray(PROOF_1_OF_5[0])),
            ROOT5,
            id="bytearray",
        ),
        pytest.param(
            LEAF1, 1, 5, _replace(PROOF_1_OF_5, 0, PROOF_1_OF_5[0].hex()), ROOT5, id="hex"
        ),
        pytest.param(LEAF1, 1, 5, _replace(PROOF_1_OF_5, 1, None), ROOT5, id="None element"),
        pytest.param(LEAF1, 1, 5, _replace(PROOF_1_OF_5, 1, 7), ROOT5, id="int element"),
        pytest.param(LEAF1, 1, 5, [PROOF_1_OF_5], ROOT5, id="nested list"),
        pytest.param(LEAF1, 1, 5, [*PROOF_1_OF_5, SOME_HASH], ROOT5, id="element appended"),
        pytest.param(LEAF1, 1, 5, PROOF_1_OF_5[:-1], ROOT5, id="last element dropped"),
        pytest.param(LEAF1, 1, 5, [], ROOT5, id="empty proof"),
        # The proof container itself.
        pytest.param(LEAF1, 1, 5, None, ROOT5, id="proof None"),
        pytest.param(LEAF1, 1, 5, b"".join(PROOF_1_OF_5), ROOT5, id="proof concatenated bytes"),
        pytest.param(LEAF1, 1, 5, b"".join(PROOF_1_OF_5).hex(), ROOT5, id="proof as str"),
        pytest.param(LEAF1, 1, 5, iter(PROOF_1_OF_5), ROOT5, id="proof iterator not sequence"),
        pytest.param(LEAF1, 1, 5, dict(enumerate(PROOF_1_OF_5)), ROOT5, id="proof dict"),
        pytest.param(LEAF1, 1, 5, set(PROOF_1_OF_5), ROOT5, id="proof set (unordered)"),
    ],
)
def test_verify_inclusion_rejects_bad_input(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    assert verify_inclusion(leaf, index, tree_size, proof, root) is False


def test_verify_inclusion_accepts_tuple_proofs() -> None:
    assert verify_inclusion(LEAF1, 1, 5, tuple(PROOF_1_OF_5), ROOT5) is True


_, _, PROOF_6_TO_8 = CT_CONSISTENCY[2]
_, _, PROOF_1_TO_8 = CT_CONSISTENCY[1]
PROOF_4_TO_8 = _bf_proof(4, tuple(CT_LEAVES))


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof"),
    [
        # Sizes.
        pytest.param(8, 6, ROOT8, ROOT6, PROOF_6_TO_8, id="old_size > new_size"),
        pytest.param(-6, 8, ROOT6, ROOT8, PROOF_6_TO_8, id="negative old_size"),
        pytest.param(6, -8, ROOT6, ROOT8, PROOF_6_TO_8, id="negative new_size"),
        pytest.param(5, 8, ROOT6, ROOT8, PROOF_6_TO_8, id="old_size - 1"),
        pytest.param(6, 16, ROOT6, ROOT8, PROOF_6_TO_8, id="new_size * 2"),
        pytest.param(6, 2**70, ROOT6, ROOT8, PROOF_6_TO_8, id="huge new_size"),
        pytest.param(True, 8, ROOT1, ROOT8, PROOF_1_TO_8, id="old_size True"),
        pytest.param(0, True, EMPTY_ROOT, ROOT1, [], id="new_size True"),
        pytest.param(False, 8, EMPTY_ROOT, ROOT8, [], id="old_size False"),
        pytest.param(6.0, 8, ROOT6, ROOT8, PROOF_6_TO_8, id="float old_size"),
        pytest.param(6, "8", ROOT6, ROOT8, PROOF_6_TO_8, id="str new_size"),
        pytest.param(None, 8, ROOT6, ROOT8, PROOF_6_TO_8, id="None old_size"),
        # Roots.
        pytest.param(6, 8, ROOT8, ROOT6, PROOF_6_TO_8, id="roots swapped"),
        pytest.param(6, 8, ROOT6, ROOT6, PROOF_6_TO_8, id="new root is old root"),
        pytest.param(6, 8, ROOT6[:31], ROOT8, PROOF_6_TO_8, id="old root 31 bytes"),
        pytest.param(6, 8, ROOT6, ROOT8 + b"\0", PROOF_6_TO_8, id="new root 33 bytes"),
        pytest.param(6, 8, bytearray(ROOT6), ROOT8, PROOF_6_TO_8, id="old root bytearray"),
        pytest.param(6, 8, ROOT6, ROOT8.hex(), PROOF_6_TO_8, id="new root hex str"),
        pytest.param(6, 8, None, ROOT8, PROOF_6_TO_8, id="old root None"),
        # Proof.
        pytest.param(6, 8, ROOT6, ROOT8, [], id="empty proof for a real extension"),
        pytest.param(6, 8, ROOT6, ROOT8, PROOF_6_TO_8[:-1], id="element dropped"),
        pytest.param(6, 8, ROOT6, ROOT8, [*PROOF_6_TO_8, ROOT8], id="new root appended"),
        pytest.param(4, 8, ROOT4, ROOT8, [ROOT4, *PROOF_4_TO_8], id="pow2 old root prepended"),
        pytest.param(6, 8, ROOT6, ROOT8, _replace(PROOF_6_TO_8, 0, b"x" * 31), id="31B element"),
        pytest.param(
            6,
            8,
            ROOT6,
            ROOT8,
            _replace(PROOF_6_TO_8, 1, bytearray(PROOF_6_TO_8[1])),
            id="bytearray",
        ),
        pytest.param(6, 8, ROOT6, ROOT8, _replace(PROOF_6_TO_8, 2, None), id="None element"),
        pytest.param(6, 8, ROOT6, ROOT8, _replace(PROOF_6_TO_8, 2, 0), id="int element"),
        pytest.param(6, 8, ROOT6, ROOT8, None, id="proof None"),
        pytest.param(6, 8, ROOT6, ROOT8, b"".join(PROOF_6_TO_8), id="proof concatenated bytes"),
        pytest.param(6, 8, ROOT6, ROOT8, iter(PROOF_6_TO_8), id="proof iterator"),
        # Degenerate sizes: equal sizes need an empty proof and equal roots.
        pytest.param(8, 8, ROOT8, ROOT8, [ROOT8], id="equal sizes, non-empty proof"),
        pytest.param(8, 8, ROOT8, ROOT7, [], id="equal sizes, different roots"),
        pytest.param(0, 0, EMPTY_ROOT, ROOT1, [], id="both empty, new root not empty root"),
        # Old size 0: empty proof and old_root must be the empty-tree hash (our choice).
        pytest.param(0, 8, EMPTY_ROOT, ROOT8, [ROOT8], id="old_size 0, non-empty proof"),
        pytest.param(0, 8, ROOT1, ROOT8, [], id="old_size 0, old_root not the empty root"),
        pytest.param(0, 8, EMPTY_ROOT, ROOT8[:31], [], id="old_size 0, malformed new root"),
    ],
)
def test_verify_consistency_rejects_bad_input(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    assert verify_consistency(old_size, new_size, old_root, new_root, proof) is False


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root"),
    [
        pytest.param(0, 0, EMPTY_ROOT, EMPTY_ROOT, id="empty to empty"),
        pytest.param(0, 1, EMPTY_ROOT, ROOT1, id="empty to one leaf"),
        pytest.param(0, 8, EMPTY_ROOT, SOME_HASH, id="empty to anything well-formed"),
        pytest.param(1, 1, ROOT1, ROOT1, id="same tree, size 1"),
        pytest.param(8, 8, ROOT8, ROOT8, id="same tree, size 8"),
    ],
)
def test_verify_consistency_trivial_cases_need_an_empty_proof(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes
) -> None:
    assert verify_consistency(old_size, new_size, old_root, new_root, []) is True
    assert verify_consistency(old_size, new_size, old_root, new_root, ()) is True


# ----------------------------------------------------------------------------- hypothesis

leaves_strategy = st.lists(st.binary(max_size=24), min_size=1, max_size=48)
hash_strategy = st.binary(min_size=32, max_size=32)
garbage = st.one_of(
    hash_strategy,
    st.binary(max_size=40),
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
    st.builds(bytearray, hash_strategy),
)
garbage_size = st.one_of(st.integers(-(2**70), 2**70), st.integers(-3, 70), garbage)
garbage_proof = st.one_of(
    st.lists(garbage, max_size=8),
    st.lists(hash_strategy, max_size=70),
    st.tuples(garbage, garbage),
    garbage,
    st.dictionaries(st.integers(0, 3), hash_strategy, max_size=3),
)
fast = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(leaves=leaves_strategy, data=st.data())
def test_inclusion_round_trip(leaves: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1), label="index")
    proof = inclusion_proof(index, leaves)
    assert proof == _bf_path(index, tuple(leaves))
    assert verify_inclusion(leaf_hash(leaves[index]), index, len(leaves), proof, root_hash(leaves))


@fast
@given(leaves=leaves_strategy, data=st.data())
def test_consistency_round_trip(leaves: list[bytes], data: st.DataObject) -> None:
    old_size = data.draw(st.integers(0, len(leaves)), label="old_size")
    proof = consistency_proof(old_size, leaves)
    if 0 < old_size < len(leaves):
        assert proof == _bf_proof(old_size, tuple(leaves))
    else:
        assert proof == []
    old_root, new_root = root_hash(leaves[:old_size]), root_hash(leaves)
    assert verify_consistency(old_size, len(leaves), old_root, new_root, proof)


@fast
@given(leaves=leaves_strategy, proof=st.lists(hash_strategy, max_size=8), data=st.data())
def test_random_well_formed_proofs_are_rejected(
    leaves: list[bytes], proof: list[bytes], data: st.DataObject
) -> None:
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1), label="index")
    old_size = data.draw(st.integers(1, n), label="old_size")
    assume(proof != inclusion_proof(index, leaves))
    assert not verify_inclusion(leaf_hash(leaves[index]), index, n, proof, root_hash(leaves))
    assume(proof != consistency_proof(old_size, leaves))
    assert not verify_consistency(
        old_size, n, root_hash(leaves[:old_size]), root_hash(leaves), proof
    )


@settings(max_examples=200, deadline=None)
@given(leaf=garbage, index=garbage_size, tree_size=garbage_size, proof=garbage_proof, root=garbage)
def test_verify_inclusion_never_raises(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    assert verify_inclusion(leaf, index, tree_size, proof, root) in (True, False)


@settings(max_examples=200, deadline=None)
@given(
    old_size=garbage_size,
    new_size=garbage_size,
    old_root=garbage,
    new_root=garbage,
    proof=garbage_proof,
)
def test_verify_consistency_never_raises(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    assert verify_consistency(old_size, new_size, old_root, new_root, proof) in (True, False)


@fast
@given(leaves=st.lists(st.binary(max_size=8), max_size=40))
def test_frontier_root_matches_root_hash_after_every_append(leaves: list[bytes]) -> None:
    frontier: list[tuple[int, bytes]] = []
    for count, data in enumerate(leaves, start=1):
        frontier = frontier_append(frontier, leaf_hash(data))
        assert frontier_root(frontier) == root_hash(leaves[:count])
    assert frontier_size(frontier) == len(leaves)


# --------------------------------------------------------------------------------- hygiene


def test_module_uses_only_the_standard_library() -> None:
    # The verifiers are meant to be reusable outside the Django project.
    tree = ast.parse(Path(merkle.__file__).read_text())
    imported = set()
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in statement.names}
        elif isinstance(statement, ast.ImportFrom) and statement.module:
            imported.add(statement.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
