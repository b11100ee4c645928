"""RFC 6962 section 2.1 Merkle tree hashing, audit paths and consistency proofs.

Pure standard library on purpose: the verifiers are meant to be copied into, or
re-implemented by, third parties that check our log, so they must not depend on Django
or on how we store anything. For the same reason it stays one module, past the length
at which others are split: a verifier copies one file.

Conventions used throughout:

* ``leaves`` are raw leaf data; everything named ``hash``/``hashes``/``root``/``proof``
  is a 32-byte SHA-256 value.
* A *perfect subtree* ``(level, index)`` is the complete subtree of ``2**level`` leaves
  covering leaf indices ``[index * 2**level, (index + 1) * 2**level)``.  Its hash never
  changes once its last leaf has been appended, which is what makes it worth storing.
* Every node RFC 6962 ever needs is either such a perfect subtree or, on the right edge
  of a tree whose size is not a power of two, a run of adjacent perfect subtrees of
  strictly decreasing size ("composite" node).  RFC 6962 splits at the largest power of
  two below ``n``, so a composite's hash is its parts folded right to left:
  ``node_hash(p0, node_hash(p1, ... node_hash(p[-2], p[-1])))``.
* The proof generators raise ``ValueError`` on out-of-range arguments (``TypeError``
  when a size/index is not an ``int``, ``bool`` included).  The verifiers never raise:
  any malformed input just fails verification.
* Helpers fed from storage (``*_from_hashes``, ``assemble_proof``, the frontier
  functions) accept hashes as any bytes-like object, because database drivers return
  binary columns as ``memoryview``, and always return ``bytes``.  The verifiers accept
  ``bytes`` only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeGuard

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompositeNode",
    "FrontierEntry",
    "HashLike",
    "Node",
    "PerfectSubtree",
    "assemble_proof",
    "consistency_proof",
    "consistency_proof_from_hashes",
    "consistency_proof_nodes",
    "frontier_append",
    "frontier_append_subtrees",
    "frontier_extend",
    "frontier_extend_keys",
    "frontier_root",
    "frontier_size",
    "frontier_subtrees",
    "inclusion_proof",
    "inclusion_proof_from_hashes",
    "inclusion_proof_nodes",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "root_hash",
    "subtree_keys",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32

HashLike: TypeAlias = bytes | bytearray | memoryview
"""What the storage-facing helpers accept as a hash (see module docstring)."""

# MTH({}) is defined as the hash of the empty string, not of an empty leaf: the two must
# differ or an empty log and a log holding one empty entry would share a root.
EMPTY_ROOT = hashlib.sha256(b"").digest()

# Domain separation prefixes: without them a leaf whose data is the concatenation of two
# hashes would collide with the interior node above those hashes (second preimage).
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# --------------------------------------------------------------------------- hashing


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    digest = hashlib.sha256(_LEAF_PREFIX)
    # update() instead of concatenation so a large leaf is not copied just to hash it.
    digest.update(data)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash ``MTH(D[n])`` of raw leaf data; ``EMPTY_ROOT`` for no leaves."""
    return root_from_leaf_hashes([leaf_hash(data) for data in leaves])


def root_from_leaf_hashes(hashes: Sequence[HashLike]) -> bytes:
    """Merkle Tree Hash of a tree given its leaf hashes rather than its leaf data."""
    return _root_of(_require_hashes("hashes", hashes))


def _root_of(hashes: list[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    level = hashes
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        # Carrying an unpaired last node up unchanged is the bottom-up equivalent of
        # RFC 6962's top-down split at the largest power of two below n.
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# ------------------------------------------------------------------- argument checks


def _is_count(value: object) -> TypeGuard[int]:
    # bool is an int subclass; letting True mean 1 would hide a mis-wired call site.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hash(value: object) -> TypeGuard[bytes]:
    # Exactly bytes: a mutable bytearray could change between check and use, and a
    # str of hex is a caller bug that should not half-work.
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _require_count(name: str, value: object) -> int:
    if not _is_count(value):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def _require_index(index: object, tree_size: object) -> tuple[int, int]:
    checked_size = _require_count("tree_size", tree_size)
    checked_index = _require_count("index", index)
    if checked_index >= checked_size:
        raise ValueError(
            f"index {checked_index} is out of range for a tree of {checked_size} leaves"
        )
    return checked_index, checked_size


def _require_sizes(old_size: object, new_size: object) -> tuple[int, int]:
    checked_new = _require_count("new_size", new_size)
    checked_old = _require_count("old_size", old_size)
    if checked_old > checked_new:
        raise ValueError(f"old_size {checked_old} is larger than the tree ({checked_new} leaves)")
    return checked_old, checked_new


def _stored_hash(value: object) -> bytes | None:
    # The helpers fed from storage accept any bytes-like value because database drivers
    # hand BinaryField contents back as memoryview; the verifiers stay bytes-only.
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value)
        if len(value) == HASH_SIZE:
            return value
    return None


def _require_hashes(name: str, hashes: Iterable[HashLike]) -> list[bytes]:
    checked = []
    for position, value in enumerate(hashes):
        stored = _stored_hash(value)
        if stored is None:
            raise ValueError(f"{name}[{position}] is not a {HASH_SIZE}-byte hash")
        checked.append(stored)
    return checked


# ------------------------------------------------------------- proof structure (O(log n))


@dataclass(frozen=True, slots=True)
class PerfectSubtree:
    """Complete subtree of ``2**level`` leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int

    def __post_init__(self) -> None:
        _require_count("level", self.level)
        _require_count("index", self.index)

    @property
    def key(self) -> tuple[int, int]:
        """The ``(level, index)`` pair a store of subtree hashes is keyed by."""
        return (self.level, self.index)

    @property
    def start(self) -> int:
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.level


@dataclass(frozen=True, slots=True)
class CompositeNode:
    """Right-edge node of a non-power-of-two tree: adjacent perfect subtrees, largest
    first, whose hashes are folded right to left.  Its hash is never stored because it
    changes as soon as another leaf is appended."""

    parts: tuple[PerfectSubtree, ...]

    def __post_init__(self) -> None:
        # One part would be a PerfectSubtree in disguise; keeping the two kinds disjoint
        # lets callers treat "is it stored?" as a type test.
        if len(self.parts) < 2:
            raise ValueError("a CompositeNode needs at least two parts")

    @property
    def start(self) -> int:
        return self.parts[0].start

    @property
    def end(self) -> int:
        return self.parts[-1].end


Node: TypeAlias = PerfectSubtree | CompositeNode


def _largest_power_of_two_below(n: int) -> int:
    # The RFC's k: largest power of two strictly smaller than n (n >= 2).
    return 1 << ((n - 1).bit_length() - 1)


def _range_subtrees(start: int, end: int) -> list[PerfectSubtree]:
    # Only called for ranges the RFC recursion produces, whose start is aligned to a
    # power of two at least as large as the range, so the binary digits of the length
    # (largest first) tile it with aligned perfect subtrees.  Iterating over set bits
    # only keeps a perfect range O(1), which is what keeps the proofs O(log n).
    parts = []
    position, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        parts.append(PerfectSubtree(level, position >> level))
        position += 1 << level
        remaining -= 1 << level
    return parts


def _range_node(start: int, end: int) -> Node:
    parts = _range_subtrees(start, end)
    return parts[0] if len(parts) == 1 else CompositeNode(tuple(parts))


def inclusion_proof_nodes(index: int, tree_size: int) -> list[Node]:
    """Nodes whose hashes make up ``PATH(index, D[tree_size])``, in proof order.

    Walks the RFC 6962 recursion top-down without touching any hash; at most one node
    is a ``CompositeNode`` (the first time the path turns left while still on the right
    edge), so the result and the work are O(log n).
    """
    index, tree_size = _require_index(index, tree_size)
    siblings: list[Node] = []
    start, end = 0, tree_size
    while end - start > 1:
        middle = start + _largest_power_of_two_below(end - start)
        if index < middle:
            siblings.append(_range_node(middle, end))
            end = middle
        else:
            siblings.append(_range_node(start, middle))
            start = middle
    # The recursion appends each sibling after the deeper path, so the proof runs from
    # the leaf up, i.e. the reverse of the order the walk discovers them.
    siblings.reverse()
    return siblings


def consistency_proof_nodes(old_size: int, new_size: int) -> list[Node]:
    """Nodes whose hashes make up ``PROOF(old_size, D[new_size])``, in proof order.

    Empty when ``old_size`` is 0 or equal to ``new_size`` (nothing to prove).
    """
    old_size, new_size = _require_sizes(old_size, new_size)
    if old_size in (0, new_size):
        return []
    nodes: list[Node] = []
    start, end = 0, new_size
    while old_size != end:
        middle = start + _largest_power_of_two_below(end - start)
        if old_size <= middle:
            nodes.append(_range_node(middle, end))
            end = middle
        else:
            nodes.append(_range_node(start, middle))
            start = middle
    # [start, end) is now the old tree's last complete subtree.  SUBPROOF's flag b (still
    # true while start == 0) drops it when it is the whole old tree, because the
    # verifier already holds that hash as old_root.
    if start:
        nodes.append(_range_node(start, end))
    nodes.reverse()
    return nodes


def subtree_keys(nodes: Iterable[Node]) -> list[tuple[int, int]]:
    """Distinct ``(level, index)`` keys to fetch (in one query) before ``assemble_proof``."""
    keys: dict[tuple[int, int], None] = {}
    for node in nodes:
        parts = node.parts if isinstance(node, CompositeNode) else (node,)
        for part in parts:
            keys[part.key] = None
    return list(keys)


def assemble_proof(
    nodes: Iterable[Node], fetched: Mapping[tuple[int, int], HashLike]
) -> list[bytes]:
    """Turn proof nodes into the proof, given stored hashes keyed by ``(level, index)``.

    Raises ``ValueError`` if a needed hash is missing or malformed, since a proof built
    from a corrupt store would only fail later, far from the cause.
    """
    return [_node_value(node, fetched) for node in nodes]


def _node_value(node: Node, fetched: Mapping[tuple[int, int], HashLike]) -> bytes:
    if isinstance(node, PerfectSubtree):
        return _fetched_hash(node, fetched)
    value = _fetched_hash(node.parts[-1], fetched)
    for part in reversed(node.parts[:-1]):
        value = node_hash(_fetched_hash(part, fetched), value)
    return value


def _fetched_hash(subtree: PerfectSubtree, fetched: Mapping[tuple[int, int], HashLike]) -> bytes:
    try:
        value = _stored_hash(fetched[subtree.key])
    except KeyError:
        raise ValueError(
            f"no hash for perfect subtree level={subtree.level} index={subtree.index}"
        ) from None
    if value is None:
        raise ValueError(
            f"hash for perfect subtree level={subtree.level} index={subtree.index} "
            f"is not {HASH_SIZE} bytes"
        )
    return value


# ------------------------------------------------------------------ proof generation


def _subtree_hashes(nodes: Iterable[Node], hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    # The subtrees of one proof are disjoint, so computing each from its leaves costs
    # O(n) in total: no better than the RFC recursion, and no worse.
    return {
        (level, index): _root_of(hashes[index << level : (index + 1) << level])
        for level, index in subtree_keys(nodes)
    }


def inclusion_proof_from_hashes(index: int, hashes: Sequence[HashLike]) -> list[bytes]:
    """``PATH(index, D[n])`` for a tree given by its leaf hashes."""
    leaf_hashes = _require_hashes("hashes", hashes)
    nodes = inclusion_proof_nodes(index, len(leaf_hashes))
    return assemble_proof(nodes, _subtree_hashes(nodes, leaf_hashes))


def consistency_proof_from_hashes(old_size: int, hashes: Sequence[HashLike]) -> list[bytes]:
    """``PROOF(old_size, D[n])`` for a tree given by its leaf hashes."""
    leaf_hashes = _require_hashes("hashes", hashes)
    nodes = consistency_proof_nodes(old_size, len(leaf_hashes))
    return assemble_proof(nodes, _subtree_hashes(nodes, leaf_hashes))


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 audit path ``PATH(index, D[n])`` for raw leaf data."""
    # Checked before hashing so a bad index on a big log fails before doing O(n) work.
    _require_index(index, len(leaves))
    return inclusion_proof_from_hashes(index, [leaf_hash(data) for data in leaves])


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 ``PROOF(old_size, D[n])`` for raw leaf data; empty when ``old_size`` is
    0 or ``len(leaves)``."""
    _require_sizes(old_size, len(leaves))
    return consistency_proof_from_hashes(old_size, [leaf_hash(data) for data in leaves])


# -------------------------------------------------------------------------- frontier

FrontierEntry: TypeAlias = tuple[int, bytes]
"""``(height, hash)`` of one perfect subtree on the right frontier of the tree."""


def _require_frontier(frontier: Iterable[tuple[int, HashLike]]) -> list[FrontierEntry]:
    entries: list[FrontierEntry] = []
    for position, entry in enumerate(frontier):
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise ValueError(f"frontier[{position}] is not a (height, hash) pair")
        height, value = entry
        if not _is_count(height) or height < 0:
            raise ValueError(f"frontier[{position}] height must be a non-negative int")
        # Strictly decreasing heights is what makes the frontier the binary expansion
        # of the tree size; anything else describes no tree at all.
        if entries and height >= entries[-1][0]:
            raise ValueError("frontier heights must strictly decrease (largest first)")
        stored = _stored_hash(value)
        if stored is None:
            raise ValueError(f"frontier[{position}] hash is not {HASH_SIZE} bytes")
        entries.append((height, stored))
    return entries


def frontier_size(frontier: Iterable[tuple[int, HashLike]]) -> int:
    """Number of leaves in the tree the frontier describes."""
    return sum(1 << height for height, _ in _require_frontier(frontier))


def frontier_append_subtrees(
    frontier: Iterable[tuple[int, HashLike]], new_leaf_hash: HashLike
) -> tuple[list[FrontierEntry], list[tuple[PerfectSubtree, bytes]]]:
    """Append one leaf hash; return the new frontier and every perfect subtree the
    append completed (leaf first, then upwards), ready to be stored by ``key``.

    The input is not modified.
    """
    return frontier_extend(frontier, [new_leaf_hash])


def frontier_extend(
    frontier: Iterable[tuple[int, HashLike]], new_leaf_hashes: Iterable[HashLike]
) -> tuple[list[FrontierEntry], list[tuple[PerfectSubtree, bytes]]]:
    """Append leaf hashes in order: ``frontier_append_subtrees`` for a batch, checking
    the frontier once instead of once per leaf.  Completed subtrees come leaf by leaf,
    each leaf's from the bottom up.  The input is not modified.
    """
    entries, completed = frontier_extend_keys(frontier, new_leaf_hashes)
    return entries, [(PerfectSubtree(level, index), value) for level, index, value in completed]


def frontier_extend_keys(
    frontier: Iterable[tuple[int, HashLike]], new_leaf_hashes: Iterable[HashLike]
) -> tuple[list[FrontierEntry], list[tuple[int, int, bytes]]]:
    """``frontier_extend`` with each completed subtree as a ``(level, index, hash)`` row,
    as a store keyed by ``(level, index)`` writes it: the same subtrees in the same order,
    without an object per subtree, which a batch of thousands of leaves notices.
    """
    entries = _require_frontier(frontier)
    position = sum(1 << height for height, _ in entries)
    completed: list[tuple[int, int, bytes]] = []
    for new_leaf_hash in new_leaf_hashes:
        value = _stored_hash(new_leaf_hash)
        if value is None:
            raise ValueError(f"new_leaf_hash is not a {HASH_SIZE}-byte hash")
        height = 0
        completed.append((0, position, value))
        # Like incrementing a binary counter: each frontier subtree of the same height as
        # the carry merges with it, completing one more perfect subtree per trailing 1 bit.
        while entries and entries[-1][0] == height:
            _, left = entries.pop()
            value = hashlib.sha256(_NODE_PREFIX + left + value).digest()  # node_hash
            height += 1
            completed.append((height, position >> height, value))
        entries.append((height, value))
        position += 1
    return entries, completed


def frontier_append(
    frontier: Iterable[tuple[int, HashLike]], new_leaf_hash: HashLike
) -> list[FrontierEntry]:
    """The frontier after appending one leaf hash (the input is not modified)."""
    return frontier_append_subtrees(frontier, new_leaf_hash)[0]


def frontier_root(frontier: Iterable[tuple[int, HashLike]]) -> bytes:
    """Root hash of the tree the frontier describes (``EMPTY_ROOT`` when empty)."""
    entries = _require_frontier(frontier)
    if not entries:
        return EMPTY_ROOT
    value = entries[-1][1]
    for _, left in reversed(entries[:-1]):
        value = node_hash(left, value)
    return value


def frontier_subtrees(tree_size: int) -> list[PerfectSubtree]:
    """Perfect subtrees forming the frontier of a tree of ``tree_size`` leaves, largest
    first; fetch their hashes to rebuild a frontier (or a past root) from storage."""
    return _range_subtrees(0, _require_count("tree_size", tree_size))


# ----------------------------------------------------------------------- verification


def _proof_hashes(proof: object) -> list[bytes] | None:
    # bytes/str are Sequences too; accepting them would iterate ints or characters.
    if isinstance(proof, str | bytes | bytearray | memoryview) or not isinstance(proof, Sequence):
        return None
    try:
        items = list(proof)
    except Exception:
        # A caller-defined Sequence can fail in any way; a verifier that raises turns
        # hostile input into a crash instead of a rejection.
        return None
    if not all(_is_hash(item) for item in items):
        return None
    return items


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows the leaf hash at ``index`` in the tree with ``root``.

    RFC 9162 section 2.1.3.2.  Never raises; any malformed argument yields False.

    Note that a (root, proof) pair does not by itself pin the tree size: for some size
    pairs the path has exactly the same shape (e.g. index 0 in trees of 5..8 leaves), so
    ``tree_size`` must come from a signed tree head, not from the prover.
    """
    path = _proof_hashes(proof)
    if path is None or not (_is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not (_is_count(index) and _is_count(tree_size) and 0 <= index < tree_size):
        return False
    fn, sn = index, tree_size - 1
    value = leaf_hash
    for sibling in path:
        # Running out of tree before running out of proof means extra elements.
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            # On the right edge a node can have no right sibling at several levels;
            # those levels contribute no proof element, so skip them.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            value = node_hash(value, sibling)
        fn >>= 1
        sn >>= 1
    # sn > 0 here means the proof was too short to reach the root.
    return sn == 0 and value == root


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """True iff ``proof`` shows the tree ``old_root`` (``old_size`` leaves) is a prefix
    of the tree ``new_root`` (``new_size`` leaves).

    RFC 9162 section 2.1.4.2 for ``0 < old_size < new_size``.  Never raises; any
    malformed argument (sizes that are not non-bool ints, ``old_size > new_size``,
    hashes that are not 32 ``bytes``) yields False.  Degenerate cases:

    * ``old_size == new_size``: valid only with an empty proof and equal roots.
    * ``old_size == 0``: valid only with an empty proof *and* ``old_root == EMPTY_ROOT``.
      Every tree is an extension of the empty tree, so RFC 9162 leaves old_root
      unconstrained (transparency-dev/merkle accepts any value), but the empty tree
      has exactly one root and accepting anything else would let a corrupt or
      mismatched stored checkpoint pass as verified.  ``new_root`` can only be
      checked for shape here (and, when ``new_size`` is also 0, must be EMPTY_ROOT).
    """
    path = _proof_hashes(proof)
    if path is None or not (_is_hash(old_root) and _is_hash(new_root)):
        return False
    if not (_is_count(old_size) and _is_count(new_size) and 0 <= old_size <= new_size):
        return False
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT and (new_size > 0 or new_root == old_root)
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    # When old_size is a power of two the old root is itself a node of the new tree, so
    # PROOF() leaves it out and the verifier supplies it as the starting point.
    if old_size & (old_size - 1) == 0:
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    # Skip the levels where the old tree's last node is a right child: its left
    # siblings are folded into the first proof element already.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_value = new_value = path[0]
    for element in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            # A left sibling is shared by both trees: it feeds both running roots.
            old_value = node_hash(element, old_value)
            new_value = node_hash(element, new_value)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # A right sibling only exists in the new tree.
            new_value = node_hash(new_value, element)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_value == old_root and new_value == new_root
