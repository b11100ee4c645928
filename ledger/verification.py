"""Check the stored log against itself: every leaf, every stored subtree hash, every head.

Recomputes everything from the leaves' data in one pass, in index order, holding only the
O(log n) frontier plus one level of subtree hashes at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from ledger import merkle
from ledger.models import Leaf, LogState, SubtreeHash, TreeHead
from ledger.signing import tree_head_bytes, verify_signature

CHUNK = 5000


class LedgerTampered(Exception):
    """The log contradicts itself; the message names the first bad row."""


@dataclass
class VerifyReport:
    leaves: int = 0
    subtrees: int = 0
    heads: int = 0
    keys: list[str] = field(default_factory=list)


def _leaves() -> Iterator[tuple[int, str, str, bytes]]:
    rows = Leaf.objects.order_by("index").values_list("index", "kind", "data", "leaf_hash")
    for index, kind, data, stored in rows.iterator(chunk_size=CHUNK):
        yield index, kind, data, bytes(stored)


def verify_log() -> VerifyReport:
    report = VerifyReport()
    heads = list(TreeHead.objects.order_by("tree_size"))
    roots_wanted = {head.tree_size for head in heads}
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if 0 in roots_wanted else {}
    introduced_keys: dict[str, tuple[int, str]] = {}  # key id -> (leaf index, public key hex)
    frontier: list[merkle.FrontierEntry] = []
    expected_index = 0
    for index, kind, data, stored in _leaves():
        if index != expected_index:
            raise LedgerTampered(f"leaf {expected_index} is missing (next stored leaf is {index})")
        if merkle.leaf_hash(data.encode()) != stored:
            raise LedgerTampered(f"leaf {index}: its data does not match its leaf hash")
        try:
            parsed = json.loads(data)
        except ValueError:
            raise LedgerTampered(f"leaf {index}: data is not JSON") from None
        if parsed.get("index") != index or parsed.get("kind") != kind:
            raise LedgerTampered(
                f"leaf {index}: index or kind inside the data disagree with the row"
            )
        if kind == "ledger.key_rotation":
            payload = parsed["payload"]
            introduced_keys[payload["key_id"]] = (index, payload["public_key"])
        frontier = merkle.frontier_append(frontier, stored)
        expected_index += 1
        if expected_index in roots_wanted:
            roots[expected_index] = merkle.frontier_root(frontier)
    report.leaves = expected_index
    state = LogState.objects.filter(pk=1).values_list("tree_size", "frontier").first()
    state_size, state_frontier = (state[0], bytes(state[1])) if state else (0, b"")
    if state_size != expected_index:
        raise LedgerTampered(
            f"the log state claims {state_size} leaves but {expected_index} are stored"
        )
    # Appends hash new leaves against this frontier: a wrong one would fork the tree.
    if state_frontier != b"".join(value for _, value in frontier):
        raise LedgerTampered("the log state's frontier does not match the stored leaves")

    report.subtrees = _verify_subtrees(expected_index)

    for head in heads:
        if head.tree_size > expected_index:
            raise LedgerTampered(
                f"tree head at size {head.tree_size} is beyond the {expected_index} stored leaves"
            )
        if bytes(head.root_hash) != roots[head.tree_size]:
            raise LedgerTampered(
                f"tree head at size {head.tree_size}: root does not match the leaves"
            )
        message = tree_head_bytes(
            timestamp_ms=head.timestamp_ms,
            tree_size=head.tree_size,
            root_hash=bytes(head.root_hash),
        )
        if not verify_signature(
            public_key=bytes(head.public_key), message=message, signature=bytes(head.signature)
        ):
            raise LedgerTampered(f"tree head at size {head.tree_size}: bad signature")
        introduced = introduced_keys.get(head.key_id)
        if (
            introduced is None
            or introduced[0] >= head.tree_size
            or introduced[1] != bytes(head.public_key).hex()
        ):
            raise LedgerTampered(
                f"tree head at size {head.tree_size}: key {head.key_id} was not introduced "
                "in the log before it"
            )
        report.heads += 1
    report.keys = sorted(introduced_keys)
    return report


def _verify_subtrees(size: int) -> int:
    """Every stored perfect-subtree hash equals the one its children give."""
    checked = 0
    previous: list[bytes] = []
    level = 0
    while (1 << level) <= size:
        expected_count = size >> level
        rows = (
            SubtreeHash.objects.filter(level=level).order_by("index").values_list("index", "hash")
        )
        current: list[bytes] = []
        for index, stored in rows.iterator(chunk_size=CHUNK):
            value = bytes(stored)
            if index != len(current):
                raise LedgerTampered(f"subtree level {level} index {len(current)} is missing")
            if level == 0:
                expected = None  # checked against the leaves below
            else:
                expected = merkle.node_hash(previous[2 * index], previous[2 * index + 1])
            if expected is not None and value != expected:
                raise LedgerTampered(
                    f"subtree level {level} index {index} (from leaf {index << level}) "
                    "does not match its children"
                )
            current.append(value)
        if len(current) != expected_count:
            raise LedgerTampered(
                f"subtree level {level}: {len(current)} stored, {expected_count} expected"
            )
        if level == 0:
            leaf_hashes = Leaf.objects.order_by("index").values_list("leaf_hash", flat=True)
            for index, stored_leaf in enumerate(leaf_hashes.iterator(chunk_size=CHUNK)):
                if bytes(stored_leaf) != current[index]:
                    raise LedgerTampered(
                        f"leaf {index}: stored subtree hash differs from the leaf hash"
                    )
        checked += len(current)
        previous = current
        level += 1
    return checked
