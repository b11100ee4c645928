"""The stored log: appends, proofs from storage, heads, immutability, verification."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from ledger import merkle, selectors, services
from ledger.models import AppendOnlyError, Leaf, LogState, SubtreeHash, TreeHead
from ledger.signing import tree_head_bytes, verify_signature
from tests.ledger.helpers import decision_payload, export_payload

pytestmark = pytest.mark.django_db


def stored_leaves() -> list[bytes]:
    return [row.data.encode() for row in Leaf.objects.order_by("index")]


def test_appends_number_leaves_and_keep_root_in_step() -> None:
    for n in range(13):
        leaf = services.entry_record(kind="dataset.export", payload=export_payload(n))
        assert leaf.index == n
    leaves = stored_leaves()
    state = LogState.objects.get()
    assert state.tree_size == 13
    frontier = state.frontier_entries()
    assert merkle.frontier_root(frontier) == merkle.root_hash(leaves)
    assert [bytes(row.leaf_hash) for row in Leaf.objects.order_by("index")] == [
        merkle.leaf_hash(data) for data in leaves
    ]


def test_leaf_data_is_canonical_json_with_the_index() -> None:
    leaf = services.entry_record(kind="kyc.decision", payload=decision_payload())
    assert leaf.data.startswith('{"index":0,"kind":"kyc.decision","payload":{"case":"')
    assert " " not in leaf.data


def test_a_batch_returns_its_leaves_as_stored() -> None:
    services.entry_record(kind="dataset.export", payload=export_payload(0))
    leaves = services.entries_record(
        entries=[("dataset.export", export_payload(n)) for n in range(1, 6)]
    )
    stored = list(Leaf.objects.order_by("index").filter(index__gte=1))
    assert len(leaves) == 5
    assert [
        (leaf.index, leaf.kind, leaf.data, bytes(leaf.leaf_hash), leaf.created_at)
        for leaf in leaves
    ] == [
        (leaf.index, leaf.kind, leaf.data, bytes(leaf.leaf_hash), leaf.created_at)
        for leaf in stored
    ]
    assert leaves[-1].index == 5
    assert [leaf.index for leaf in leaves[1:4:2]] == [2, 4]
    assert leaves[2] is leaves[2]
    assert not leaves[0]._state.adding
    with pytest.raises(IndexError):
        leaves[5]


def test_proofs_from_storage_equal_the_pure_module(django_assert_max_num_queries: Any) -> None:
    services.entries_record(entries=[("dataset.export", export_payload(n)) for n in range(37)])
    leaves = stored_leaves()
    for size in (1, 2, 5, 16, 37):
        for index in range(0, size, 3):
            with django_assert_max_num_queries(2):
                proof = selectors.inclusion_proof(index=index, tree_size=size)
            assert proof.audit_path == merkle.inclusion_proof(index, leaves[:size])
            assert proof.root_hash == merkle.root_hash(leaves[:size])
            assert merkle.verify_inclusion(
                proof.leaf_hash, index, size, proof.audit_path, proof.root_hash
            )
    for first in (1, 3, 8, 20):
        with django_assert_max_num_queries(2):
            proof = selectors.consistency_proof(first=first, second=37)
        assert proof.proof == merkle.consistency_proof(first, leaves)
        assert merkle.verify_consistency(
            first, 37, proof.first_root, proof.second_root, proof.proof
        )


def test_unknown_kind_or_off_schema_payload_writes_nothing() -> None:
    bad = [
        ("kyc.verdict", decision_payload(), "kind"),  # unknown kind
        (
            "kyc.decision",
            {**decision_payload(), "outcome": "maybe"},
            "outcome",
        ),  # value off the list
        (
            "kyc.decision",
            {**decision_payload(), "email": "a@b.c"},
            "email",
        ),  # extra (personal) field
        (
            "kyc.decision",
            {k: v for k, v in decision_payload().items() if k != "case"},
            "case",
        ),  # missing
        ("kyc.decision", {**decision_payload(), "case": "alice"}, "case"),  # not a pseudonym
        ("dataset.export", {**export_payload(), "items": -1}, "items"),  # negative count
        ("dataset.export", {**export_payload(), "items": True}, "items"),  # bool is not a count
        (
            "dataset.export",
            {**export_payload(), "exported_at": "2026-13-01T00:00:00Z"},
            "exported_at",
        ),  # no 13th month
        (
            "reputation.change",
            {
                "subject": "0" * 64,
                "source": "gold",
                "delta": float("nan"),
                "score": 1,
                "level": 1,
                "at": "2026-11-23T08:00:00Z",
            },
            "delta",
        ),  # NaN
    ]
    for kind, payload, field in bad:
        with pytest.raises(ValueError, match=rf"^{field}:"):
            services.entry_record(kind=kind, payload=payload)
    assert Leaf.objects.count() == 0
    assert SubtreeHash.objects.count() == 0


def test_rolled_back_decision_leaves_no_leaf() -> None:
    services.entry_record(kind="dataset.export", payload=export_payload(1))

    def decide_then_fail() -> None:
        with transaction.atomic():
            services.entry_record(kind="dataset.export", payload=export_payload(2))
            raise RuntimeError("the decision failed after recording")

    with pytest.raises(RuntimeError):
        decide_then_fail()
    assert list(Leaf.objects.values_list("index", flat=True)) == [0]
    assert services.entry_record(kind="dataset.export", payload=export_payload(3)).index == 1


def test_rows_refuse_update_and_delete_through_the_orm() -> None:
    leaf = services.entry_record(kind="dataset.export", payload=export_payload())
    leaf.kind = "other"
    with pytest.raises(AppendOnlyError):
        leaf.save()
    with pytest.raises(AppendOnlyError):
        leaf.delete()
    with pytest.raises(AppendOnlyError):
        Leaf.objects.filter(index=0).update(kind="x")
    with pytest.raises(AppendOnlyError):
        SubtreeHash.objects.all().delete()


def test_postgres_trigger_refuses_sql_updates_and_deletes(postgres: None) -> None:
    services.entry_record(kind="dataset.export", payload=export_payload())
    for statement in (
        "UPDATE ledger_leaf SET kind = 'x' WHERE index = 0",
        "DELETE FROM ledger_leaf",
        "UPDATE ledger_subtreehash SET level = 9",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert Leaf.objects.get().kind == "dataset.export"


def test_heads_are_signed_and_published_only_when_the_tree_grew() -> None:
    first = services.tree_head_publish()
    assert first is not None
    # The first head introduces its key in the log itself.
    assert Leaf.objects.get(index=0).kind == "ledger.key_rotation"
    assert services.tree_head_publish() is None
    services.entry_record(kind="dataset.export", payload=export_payload())
    second = services.tree_head_publish()
    assert second is not None
    assert second.tree_size == first.tree_size + 1
    message = tree_head_bytes(
        timestamp_ms=second.timestamp_ms,
        tree_size=second.tree_size,
        root_hash=bytes(second.root_hash),
    )
    assert len(message) == 50
    assert verify_signature(
        public_key=bytes(second.public_key), message=message, signature=bytes(second.signature)
    )
    assert bytes(second.root_hash) == merkle.root_hash(stored_leaves())


def test_key_rotation_is_recorded_before_the_first_head_it_signs(settings: Any) -> None:
    from ledger.conf import _generate_signing_key

    services.entry_record(kind="dataset.export", payload=export_payload())
    old = services.tree_head_publish()
    settings.LEDGER_SIGNING_KEY = _generate_signing_key()
    new = services.tree_head_publish()
    assert old is not None
    assert new is not None
    assert old.key_id != new.key_id
    rotation = Leaf.objects.filter(kind="ledger.key_rotation").order_by("-index").first()
    assert rotation is not None
    assert f'"previous_key_id":"{old.key_id}"' in rotation.data
    assert rotation.index < new.tree_size
    call_command("ledger_verify")


def test_verify_passes_on_an_honest_log(capsys: Any) -> None:
    services.entries_record(entries=[("dataset.export", export_payload(n)) for n in range(21)])
    services.tree_head_publish()
    services.entry_record(kind="kyc.decision", payload=decision_payload())
    services.tree_head_publish()
    call_command("ledger_verify")
    assert "ledger OK: 23 leaves" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        # A leaf's published data edited in place.
        (
            'UPDATE ledger_leaf SET data = replace(data, \'"items":5\', \'"items":6\') WHERE "index" = 5',
            "leaf 5",
        ),
        # A stored subtree hash swapped, which would poison proofs.
        (
            'UPDATE ledger_subtreehash SET hash = (SELECT hash FROM ledger_subtreehash WHERE level = 0 AND "index" = 1) WHERE level = 0 AND "index" = 2',
            "leaf 2",
        ),
        # The frontier the next append hashes against, bent to fork the tree.
        (
            'UPDATE ledger_logstate SET frontier = (SELECT hash FROM ledger_subtreehash WHERE level = 0 AND "index" = 0)',
            "frontier",
        ),
        # A leaf removed from the middle.
        ('DELETE FROM ledger_leaf WHERE "index" = 7', "leaf 7"),
        # A head's root replaced.
        (
            'UPDATE ledger_treehead SET root_hash = (SELECT hash FROM ledger_subtreehash WHERE level = 0 AND "index" = 0)',
            "tree head",
        ),
    ],
)
def test_verify_names_the_first_tampered_row(statement: str, message: str) -> None:
    services.entries_record(entries=[("dataset.export", export_payload(n)) for n in range(12)])
    services.tree_head_publish()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An attacker with the database owner's rights can switch the trigger off;
            # the verifier must still notice. (The test's transaction undoes both.)
            for table in ("ledger_leaf", "ledger_subtreehash", "ledger_treehead"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(statement)
    with pytest.raises(CommandError, match=message):
        call_command("ledger_verify")


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_get_distinct_gapless_indexes(postgres: None) -> None:
    workers, per_worker = 8, 15
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(per_worker):
                services.entry_record(
                    kind="dataset.export", payload=export_payload(worker * 1000 + n)
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    indexes = list(Leaf.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(workers * per_worker))
    state = LogState.objects.get()
    frontier = state.frontier_entries()
    assert merkle.frontier_root(frontier) == merkle.root_hash(stored_leaves())
    call_command("ledger_verify")


def append_then_fail(entries: list[tuple[str, dict[str, Any]]]) -> None:
    with transaction.atomic():
        services.entry_record(kind=entries[0][0], payload=entries[0][1])
        if entries[1:]:
            services.entries_record(entries=entries[1:])
        raise RuntimeError("the caller's transaction fails after the append")


@pytest.mark.django_db(transaction=True)
def test_appends_batches_and_rollbacks_racing_leave_one_gapless_order(postgres: None) -> None:
    """Each writer hashes against the state its process last wrote; racing writers make
    those guesses wrong all the time, and rolled-back appends make them point at states
    that never committed. Every leaf must still land once, in one order, on one tree."""
    workers, rounds = 6, 8
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    kept: list[int] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(rounds):
                key = worker * 1000 + n * 10
                if worker % 3 == 0:
                    services.entry_record(kind="dataset.export", payload=export_payload(key))
                    kept.append(key)
                elif worker % 3 == 1:
                    batch = [("dataset.export", export_payload(key + k)) for k in range(3)]
                    services.entries_record(entries=batch)
                    kept.extend(key + k for k in range(3))
                else:
                    with pytest.raises(RuntimeError):
                        append_then_fail([("dataset.export", export_payload(key))])
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = list(Leaf.objects.order_by("index").values_list("index", "data"))
    assert [index for index, _ in rows] == list(range(len(kept)))
    written = sorted(json.loads(data)["payload"]["items"] for _, data in rows)
    assert written == sorted(kept)
    assert LogState.objects.get().tree_size == len(kept)
    call_command("ledger_verify")


def test_an_append_on_top_of_a_state_that_never_committed_lands_right() -> None:
    services.entry_record(kind="dataset.export", payload=export_payload(1))
    for _ in range(3):
        # Rolled back: the process remembers states the log never had.
        with pytest.raises(RuntimeError):
            append_then_fail([("dataset.export", export_payload(n)) for n in (2, 3, 3)])
    assert services.entry_record(kind="dataset.export", payload=export_payload(4)).index == 1
    assert [
        leaf.index
        for leaf in services.entries_record(
            entries=[("dataset.export", export_payload(5 + n)) for n in range(3)]
        )
    ] == [2, 3, 4]
    assert LogState.objects.get().tree_size == 5
    call_command("ledger_verify")


def test_tree_head_is_immutable_too() -> None:
    head = services.tree_head_publish()
    assert head is not None
    with pytest.raises(AppendOnlyError):
        TreeHead.objects.all().delete()
