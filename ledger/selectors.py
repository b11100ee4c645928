"""Reads of the log. Every proof costs O(log n) hashes fetched in one query."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from core.errors import InvalidInput, NotFound
from ledger import merkle
from ledger.models import Leaf, LogState, SubtreeHash, TreeHead


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]
    root_hash: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[bytes]
    first_root: bytes
    second_root: bytes


def current_tree_size() -> int:
    return LogState.objects.filter(pk=1).values_list("tree_size", flat=True).first() or 0


def latest_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-tree_size").first()


def _fetch_subtrees(keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """One query for all the (level, index) hashes a proof needs.

    Plain SQL grouped by level: the ORM spends milliseconds compiling an OR of ~40 Q
    objects, which is most of a proof's time at a million leaves.
    """
    if not keys:
        return {}
    by_level: dict[int, list[int]] = defaultdict(list)
    for level, index in keys:
        by_level[level].append(index)
    quote = connection.ops.quote_name
    clauses, params = [], []
    for level, indexes in by_level.items():
        clauses.append(
            f"({quote('level')} = %s AND {quote('index')} IN ({', '.join(['%s'] * len(indexes))}))"
        )
        params.extend([level, *indexes])
    # Identifiers are quoted constants and every value is a bound parameter.
    sql = (
        f"SELECT {quote('level')}, {quote('index')}, {quote('hash')} "  # noqa: S608
        f"FROM {quote(SubtreeHash._meta.db_table)} WHERE {' OR '.join(clauses)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {(level, index): bytes(value) for level, index, value in rows}


def _checked_size(size: int, *, field: str, current: int) -> int:
    if size < 0:
        raise InvalidInput("Must be zero or more.", field=field)
    if size > current:
        raise InvalidInput(f"The log has only {current} entries.", field=field)
    return size


def _resolve_tree_size(requested: int | None, current: int) -> int:
    if requested is None:
        head = latest_head()
        return head.tree_size if head else current
    return _checked_size(requested, field="tree_size", current=current)


def inclusion_proof(*, index: int, tree_size: int | None = None) -> InclusionProof:
    current = current_tree_size()
    size = _resolve_tree_size(tree_size, current)
    if index < 0:
        raise InvalidInput("Must be zero or more.", field="index")
    if index >= size:
        raise InvalidInput(f"Must be less than the tree size {size}.", field="index")
    nodes = merkle.inclusion_proof_nodes(index, size)
    root_parts = merkle.frontier_subtrees(size)
    fetched = _fetch_subtrees(
        merkle.subtree_keys([*nodes, *root_parts, merkle.PerfectSubtree(0, index)])
    )
    proof = merkle.assemble_proof(nodes, fetched)
    root = merkle.frontier_root([(part.level, fetched[part.key]) for part in root_parts])
    return InclusionProof(index, size, fetched[(0, index)], proof, root)


def inclusion_proof_by_hash(*, leaf_hash: bytes, tree_size: int | None = None) -> InclusionProof:
    index = Leaf.objects.filter(leaf_hash=leaf_hash).values_list("index", flat=True).first()
    if index is None:
        raise NotFound("No entry has this leaf hash.")
    return inclusion_proof(index=index, tree_size=tree_size)


def consistency_proof(*, first: int, second: int) -> ConsistencyProof:
    current = current_tree_size()
    second = _checked_size(second, field="second", current=current)
    first = _checked_size(first, field="first", current=current)
    if first > second:
        raise InvalidInput("Must not be larger than second.", field="first")
    nodes = merkle.consistency_proof_nodes(first, second)
    first_parts = merkle.frontier_subtrees(first)
    second_parts = merkle.frontier_subtrees(second)
    fetched = _fetch_subtrees(merkle.subtree_keys([*nodes, *first_parts, *second_parts]))
    return ConsistencyProof(
        first=first,
        second=second,
        proof=merkle.assemble_proof(nodes, fetched),
        first_root=merkle.frontier_root([(part.level, fetched[part.key]) for part in first_parts]),
        second_root=merkle.frontier_root(
            [(part.level, fetched[part.key]) for part in second_parts]
        ),
    )


def entries(*, start: int, end: int, limit: int) -> list[Leaf]:
    if start < 0:
        raise InvalidInput("Must be zero or more.", field="start")
    if end <= start:
        raise InvalidInput("Must be larger than start.", field="end")
    end = min(end, start + limit)
    return list(Leaf.objects.filter(index__gte=start, index__lt=end).order_by("index"))


def recent_entries(*, limit: int = 20) -> list[Leaf]:
    """The latest entries, newest first, without their data (the page links to each)."""
    return list(Leaf.objects.order_by("-index").only("index", "kind", "created_at")[:limit])
