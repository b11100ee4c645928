"""Runs of reputation events committed to the transparency log: every few minutes
`batch_commit` puts the Merkle root of the events since the last batch in the log, so the
public feed can be checked against it without an entry per event."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from ledger import merkle
from ledger.canonical import canonical_json
from ledger.schemas import utc_timestamp
from ledger.services import entry_record
from reputation.models import ReputationBatch, ReputationEvent
from reputation.selectors.feed import public_event


def _hold_event_writers() -> None:
    """Wait for event writers in flight and hold new ones until this transaction ends
    (PostgreSQL; SQLite runs one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE reputation_reputationevent IN SHARE MODE")


def events_root(events: Iterable[ReputationEvent]) -> str:
    return merkle.root_hash([canonical_json(public_event(event)) for event in events]).hex()


BATCH_LIMIT = 10_000


def batch_commit(*, limit: int = BATCH_LIMIT) -> ReputationBatch | None:
    """Commit the next run of events (after the last batch) to the log; None when there is
    none. Idempotent: a run is committed once, whoever calls."""
    with transaction.atomic(durable=True):
        # No event with a lower id may commit after the batch closed its range (sequences
        # hand out ids before commit).
        _hold_event_writers()
        last = (
            ReputationBatch.objects.order_by("-last_event_id")
            .values_list("last_event_id", flat=True)
            .first()
        ) or 0
        events = list(
            ReputationEvent.objects.filter(id__gt=last)
            .select_related("user")
            .order_by("id")[:limit]
        )
        if not events:
            return None
        root = events_root(events)
        leaf = entry_record(
            kind="reputation.batch",
            payload={
                "first": events[0].id,
                "last": events[-1].id,
                "count": len(events),
                "root": root,
                "at": utc_timestamp(timezone.now()),
            },
        )
        return ReputationBatch.objects.create(
            first_event_id=events[0].id,
            last_event_id=events[-1].id,
            count=len(events),
            root=root,
            leaf_index=leaf.index,
        )
