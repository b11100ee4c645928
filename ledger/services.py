"""Writes to the transparency log: append leaves, publish signed tree heads.

`entry_record` is the one way other apps add an entry. Inside a caller's transaction it
runs in a savepoint, so a decision and its leaf commit or roll back together; the LogState
row lock the append takes serializes appends until that transaction ends.

On PostgreSQL an append is one conditional statement (`ledger.statements`) hashed against
the state this process last wrote, which is almost always still the state of the log: one
round trip, and outside a transaction no BEGIN or COMMIT either. When another writer got
there first (or the transaction that wrote it rolled back) the statement writes nothing;
the append then locks the state row, reads it, and writes again, which cannot miss.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, overload

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from ledger import merkle, statements
from ledger.canonical import canonical_json
from ledger.models import Leaf, LogState, SubtreeHash, TreeHead, frontier_entries
from ledger.schemas import utc_timestamp, validate
from ledger.signing import current_signer, tree_head_bytes

logger = logging.getLogger(__name__)

State = tuple[int, bytes]
"""(tree size, packed frontier) as `LogState` holds them."""

_LEAF_FIELDS = ("index", "kind", "data", "leaf_hash", "created_at")

# The state this process last wrote, per database: the guess the next append hashes
# against. A wrong guess costs one retry, never a wrong leaf (the statement checks it).
_last_written: dict[str, State] = {}
_last_written_lock = threading.Lock()


def leaf_data(*, index: int, kind: str, payload: dict[str, Any]) -> bytes:
    """The exact bytes of a leaf. The index is inside, so no two leaves are ever equal."""
    return canonical_json({"index": index, "kind": kind, "payload": payload})


def _locked_state() -> State:
    try:
        state = LogState.objects.select_for_update().get(pk=1)
    except LogState.DoesNotExist:
        # First append ever (or after a test flush); a concurrent first append makes
        # get_or_create fall back to reading the row the other one created.
        state, _ = LogState.objects.select_for_update().get_or_create(pk=1)
    return state.tree_size, bytes(state.frontier)


class AppendedLeaves(Sequence[Leaf]):
    """The leaves an append wrote, in index order. Each is made a model instance only
    when first read (and the same one is handed out after): a batch's caller seldom looks
    at its thousands of leaves, and building them all cost the batch more than writing
    its subtree hashes."""

    def __init__(
        self,
        alias: str,
        start: int,
        kinds: list[str],
        datas: list[bytes],
        hashes: list[bytes],
        now: datetime,
    ) -> None:
        self._alias, self._start, self._now = alias, start, now
        self._kinds, self._datas, self._hashes = kinds, datas, hashes
        self._built: dict[int, Leaf] = {}

    def __len__(self) -> int:
        return len(self._hashes)

    def __iter__(self) -> Iterator[Leaf]:
        # Sequence's own __iter__ reads until an IndexError, which every single append
        # (`[leaf] = ...`) would pay for.
        return map(self._leaf, range(len(self)))

    @overload
    def __getitem__(self, position: int) -> Leaf: ...

    @overload
    def __getitem__(self, position: slice) -> list[Leaf]: ...

    def __getitem__(self, position: int | slice) -> Leaf | list[Leaf]:
        if isinstance(position, slice):
            return [self._leaf(n) for n in range(len(self))[position]]
        return self._leaf(range(len(self))[position])  # IndexError past either end

    def _leaf(self, n: int) -> Leaf:
        leaf = self._built.get(n)
        if leaf is None:
            values = [
                self._start + n,
                self._kinds[n],
                self._datas[n].decode(),
                self._hashes[n],
                self._now,
            ]
            leaf = self._built[n] = Leaf.from_db(self._alias, _LEAF_FIELDS, values)
        return leaf


def _write(
    state: State, entries: Sequence[tuple[str, dict[str, Any]]]
) -> tuple[AppendedLeaves, State] | None:
    """Append on top of `state`; None, with nothing written, if the log is elsewhere."""
    size, packed = state
    frontier = frontier_entries(size, packed)
    now = timezone.now()
    kinds: list[str] = []
    datas: list[bytes] = []
    hashes: list[bytes] = []
    for index, (kind, payload) in enumerate(entries, start=size):
        data = leaf_data(index=index, kind=kind, payload=payload)
        kinds.append(kind)
        datas.append(data)
        hashes.append(merkle.leaf_hash(data))
    frontier, subtree_rows = merkle.frontier_extend_keys(frontier, hashes)
    new_state = (size + len(hashes), b"".join(value for _, value in frontier))
    db = connections[DEFAULT_DB_ALIAS]
    if statements.available():
        if not statements.appended(
            old_size=size,
            old_frontier=packed,
            new_size=new_state[0],
            new_frontier=new_state[1],
            created_at=now,
            kinds=kinds,
            datas=datas,
            hashes=hashes,
            subtrees=subtree_rows,
        ):
            return None
    else:
        # Other databases take the ORM path, always under the lock `_locked_state` took.
        Leaf.objects.bulk_create(
            Leaf(index=i, kind=k, data=d.decode(), leaf_hash=h, created_at=now)
            for i, k, d, h in zip(range(size, new_state[0]), kinds, datas, hashes, strict=True)
        )
        SubtreeHash.objects.bulk_create(
            SubtreeHash(level=level, index=i, hash=h) for level, i, h in subtree_rows
        )
        LogState.objects.filter(pk=1).update(tree_size=new_state[0], frontier=new_state[1])
    with _last_written_lock:
        _last_written[db.settings_dict["NAME"]] = new_state
    return AppendedLeaves(db.alias, size, kinds, datas, hashes, now), new_state


def _append(entries: list[tuple[str, dict[str, Any]]]) -> AppendedLeaves:
    db = connections[DEFAULT_DB_ALIAS]
    guess = _last_written.get(db.settings_dict["NAME"]) if statements.available() else None
    if guess is not None:
        if db.in_atomic_block:
            with transaction.atomic():
                written = _write(guess, entries)
        else:
            written = _write(guess, entries)  # one statement, its own transaction
        if written is not None:
            return written[0]
    with transaction.atomic():
        written = _write(_locked_state(), entries)
    if written is None:
        raise RuntimeError("the ledger state moved while this append held its lock")
    return written[0]


def entry_record(*, kind: str, payload: dict[str, Any]) -> Leaf:
    """Append one public fact; see `ledger.schemas` for the kinds and their fields.

    Raises ValueError naming the field when the payload is off its schema; nothing is
    written then.
    """
    validate(kind, payload)
    [leaf] = _append([(kind, payload)])
    logger.debug("ledger entry recorded index=%s kind=%s", leaf.index, kind)
    return leaf


def entries_record(*, entries: list[tuple[str, dict[str, Any]]]) -> Sequence[Leaf]:
    """Append several facts in one transaction (a rebuild's level changes, imports,
    benchmarks); all or nothing.

    Returns the new leaves in index order, each built when read.
    """
    for kind, payload in entries:
        validate(kind, payload)
    if not entries:
        return []
    return _append(entries)


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
            written = _write(
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
            if written is None:
                raise RuntimeError("the ledger state moved while this head held its lock")
            state = written[1]
        elif latest.tree_size == state[0]:
            return None
        tree_size = state[0]
        root = merkle.frontier_root(frontier_entries(*state))
        timestamp_ms = int(timezone.now().timestamp() * 1000)
        if latest is not None:
            # Heads must not go back in time even if the clock does.
            timestamp_ms = max(timestamp_ms, latest.timestamp_ms)
        message = tree_head_bytes(timestamp_ms=timestamp_ms, tree_size=tree_size, root_hash=root)
        head = TreeHead.objects.create(
            tree_size=tree_size,
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
