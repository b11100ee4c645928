"""Writes to the transparency log: append leaves, publish signed tree heads.

`entry_record` is the one way other apps add an entry. It runs inside the caller's transaction
(a savepoint when nested), so a decision and its leaf commit or roll back together; the
LogState row lock it takes serializes appends until that transaction ends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from ledger import merkle
from ledger.canonical import canonical_json
from ledger.models import Leaf, LogState, SubtreeHash, TreeHead
from ledger.schemas import utc_timestamp, validate
from ledger.signing import current_signer, tree_head_bytes

logger = logging.getLogger(__name__)


def leaf_data(*, index: int, kind: str, payload: dict[str, Any]) -> bytes:
    """The exact bytes of a leaf. The index is inside, so no two leaves are ever equal."""
    return canonical_json({"index": index, "kind": kind, "payload": payload})


def _locked_state() -> LogState:
    try:
        return LogState.objects.select_for_update().get(pk=1)
    except LogState.DoesNotExist:
        # First append ever (or after a test flush); a concurrent first append makes
        # get_or_create fall back to reading the row the other one created.
        state, _ = LogState.objects.select_for_update().get_or_create(pk=1)
        return state


def _frontier(state: LogState) -> list[merkle.FrontierEntry]:
    return [(height, bytes.fromhex(value)) for height, value in state.frontier]


def _append(state: LogState, entries: Iterable[tuple[str, dict[str, Any]]]) -> list[Leaf]:
    frontier = _frontier(state)
    now = timezone.now()
    leaves: list[Leaf] = []
    subtrees: list[SubtreeHash] = []
    for kind, payload in entries:
        index = state.tree_size + len(leaves)
        data = leaf_data(index=index, kind=kind, payload=payload)
        hashed = merkle.leaf_hash(data)
        frontier, completed = merkle.frontier_append_subtrees(frontier, hashed)
        leaves.append(
            Leaf(index=index, kind=kind, data=data.decode(), leaf_hash=hashed, created_at=now)
        )
        subtrees.extend(
            SubtreeHash(level=node.level, index=node.index, hash=value) for node, value in completed
        )
    Leaf.objects.bulk_create(leaves)
    SubtreeHash.objects.bulk_create(subtrees)
    state.tree_size += len(leaves)
    state.frontier = [[height, value.hex()] for height, value in frontier]
    state.save(update_fields=["tree_size", "frontier"])
    return leaves


def entry_record(*, kind: str, payload: dict[str, Any]) -> Leaf:
    """Append one public fact; see `ledger.schemas` for the kinds and their fields.

    Raises ValueError naming the field when the payload is off its schema; nothing is
    written then.
    """
    validate(kind, payload)
    with transaction.atomic():
        [leaf] = _append(_locked_state(), [(kind, payload)])
    logger.debug("ledger entry recorded index=%s kind=%s", leaf.index, kind)
    return leaf


def entries_record(*, entries: list[tuple[str, dict[str, Any]]]) -> list[Leaf]:
    """Append several facts in one transaction (imports, benchmarks); all or nothing."""
    for kind, payload in entries:
        validate(kind, payload)
    with transaction.atomic():
        return _append(_locked_state(), entries)


def tree_head_publish() -> TreeHead | None:
    """Sign and keep a head for the current tree, unless the latest head already covers it.

    When the configured signing key differs from the one that signed the latest head, the
    new key is first introduced by a `ledger.key_rotation` leaf, so the log itself says
    which key signs which heads.
    """
    signer = current_signer()
    with transaction.atomic():
        state = _locked_state()
        latest = TreeHead.objects.order_by("-tree_size").first()
        if latest is None or latest.key_id != signer.key_id:
            _append(
                state,
                [
                    (
                        "ledger.key_rotation",
                        {
                            "key_id": signer.key_id,
                            "public_key": signer.public_key.hex(),
                            "previous_key_id": latest.key_id if latest else None,
                            "at": utc_timestamp(timezone.now()),
                        },
                    )
                ],
            )
        elif latest.tree_size == state.tree_size:
            return None
        root = merkle.frontier_root(_frontier(state))
        timestamp_ms = int(timezone.now().timestamp() * 1000)
        if latest is not None:
            # Heads must not go back in time even if the clock does.
            timestamp_ms = max(timestamp_ms, latest.timestamp_ms)
        message = tree_head_bytes(
            timestamp_ms=timestamp_ms, tree_size=state.tree_size, root_hash=root
        )
        head = TreeHead.objects.create(
            tree_size=state.tree_size,
            timestamp_ms=timestamp_ms,
            root_hash=root,
            signature=signer.sign(message),
            public_key=signer.public_key,
            key_id=signer.key_id,
        )
    logger.info("tree head published size=%s key=%s", head.tree_size, head.key_id)
    return head


def tree_head_publish_if_stale(*, max_age_seconds: int) -> TreeHead | None:
    """Publish when there is no head yet, or the tree has grown and the latest head is
    older than `max_age_seconds`. Cheap when nothing is due: two indexed reads, no lock."""
    latest = TreeHead.objects.order_by("-tree_size").only("tree_size", "timestamp_ms").first()
    if latest is not None:
        size = LogState.objects.filter(pk=1).values_list("tree_size", flat=True).first() or 0
        age_ms = timezone.now().timestamp() * 1000 - latest.timestamp_ms
        if latest.tree_size >= size or age_ms < max_age_seconds * 1000:
            return None
    return tree_head_publish()
