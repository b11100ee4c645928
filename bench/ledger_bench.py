"""Ledger benchmark: appends and proofs on PostgreSQL against the SHA-256 floor.

Appends `--leaves` entries (default 1,000,000), then generates `--proofs` inclusion and
as many consistency proofs (default 10,000 each) through the project's services and
selectors. Baselines, measured in the same run:

- for single appends (`entry_record`, one transaction each), bare INSERT + COMMIT round
  trips of a 200-byte row into an ordinary table through the same connection: the
  durability floor one process can reach whatever it appends (each COMMIT waits for its
  WAL flush, as an append's does). For reference the same into a TEMPORARY table, which
  PostgreSQL does not WAL-log, so its COMMIT waits for no disk: earlier rounds compared
  against that, which measures round trips, not durability. All three are timed in
  alternating rounds so that the load other processes put on the disk falls on each alike;
- hashlib doing just the SHA-256 work those operations need (one leaf hash plus the node
  hashes an append completes; the audit path's node hashes for a proof): the physical
  floor no storage could beat.

Targets (issue 12): single appends at least 0.5x the INSERT + COMMIT floor; batched
appends (`entries_record`) at least 10,000/s; proof generation under 5 ms median at 1M
leaves.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer python bench/ledger_bench.py
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time

from _django import median, percentile, setup_django, throwaway_database

setup_django()

from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext

from ledger import merkle, selectors, services


def payload(n: int) -> dict[str, object]:
    return {
        "project": "0b7f0d4e-8b1e-4d5c-9a55-6f0c2b7e9a10",
        "format": "jsonl",
        "sha256": hashlib.sha256(n.to_bytes(8, "big")).hexdigest(),
        "items": n,
        "answers": 3 * n,
        "exported_at": "2026-11-23T08:00:00Z",
    }


def hash_floor(leaf_hashes: int, node_hashes: int) -> float:
    """Seconds hashlib needs for that many leaf and node hashes of our sizes."""
    data = b'{"index":123456,"kind":"dataset.export","payload":{' + b"x" * 200 + b"}}"
    node = b"\x01" + b"\xab" * 64
    start = time.perf_counter()
    for _ in range(leaf_hashes):
        hashlib.sha256(b"\x00" + data).digest()
    for _ in range(node_hashes):
        hashlib.sha256(node).digest()
    return time.perf_counter() - start


def create_floor_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_commit_floor (id bigint PRIMARY KEY, data text)")
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_commit_floor_unlogged (id bigint PRIMARY KEY, data text)"
        )


def commit_floor(start: int, rows: int, *, table: str = "bench_commit_floor") -> float:
    """Seconds for `rows` bare INSERT + COMMIT round trips through the same connection:
    the durability floor one process can reach, whatever it appends."""
    began = time.perf_counter()
    for n in range(start, start + rows):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} VALUES (%s, %s)", [n, "x" * 200])
    return time.perf_counter() - began


def single_appends(start: int, rows: int) -> float:
    began = time.perf_counter()
    for n in range(start, start + rows):
        services.entry_record(kind="dataset.export", payload=payload(n))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument(
        "--single", type=int, default=5_000, help="appends timed one transaction each"
    )
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--proofs", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(6962)

    with throwaway_database():
        # One transaction per append, as a decision records its entry, alternating with
        # rounds of the floor.
        create_floor_tables()
        single_seconds = durable_floor = unlogged_floor = 0.0
        round_size = max(1, args.single // 20)
        for start in range(0, args.single, round_size):
            rows = min(round_size, args.single - start)
            single_seconds += single_appends(start, rows)
            durable_floor += commit_floor(start, rows)
            unlogged_floor += commit_floor(start, rows, table="bench_commit_floor_unlogged")
        single_rate = args.single / single_seconds
        single_floor = hash_floor(args.single, args.single)  # about one node hash per append

        start = time.perf_counter()
        done = args.single
        while done < args.leaves:
            count = min(args.batch, args.leaves - done)
            services.entries_record(
                entries=[("dataset.export", payload(n)) for n in range(done, done + count)]
            )
            done += count
        bulk_seconds = time.perf_counter() - start
        bulk_count = args.leaves - args.single
        bulk_rate = bulk_count / bulk_seconds if bulk_count else float("nan")
        size = selectors.current_tree_size()
        assert size == args.leaves, size

        inclusion_times, consistency_times = [], []
        queries = []
        path_nodes = 0
        for _ in range(args.proofs):
            index = rng.randrange(size)
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                proof = selectors.inclusion_proof(index=index, tree_size=size)
                inclusion_times.append(time.perf_counter() - start)
            queries.append(len(captured))
            path_nodes += len(proof.audit_path)
        for _ in range(args.proofs):
            first = rng.randrange(1, size)
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                selectors.consistency_proof(first=first, second=size)
                consistency_times.append(time.perf_counter() - start)
            queries.append(len(captured))
        # Spot-check correctness against the pure module on the stored hashes.
        check = selectors.inclusion_proof(index=size // 3, tree_size=size)
        assert merkle.verify_inclusion(
            check.leaf_hash, size // 3, size, check.audit_path, check.root_hash
        )

        proof_floor = hash_floor(0, path_nodes) / args.proofs
        inclusion_median = median(inclusion_times)
        consistency_median = median(consistency_times)

    print(f"leaves appended: {args.leaves:,} (PostgreSQL)")
    print(f"single appends: {single_rate:,.0f}/s  (one transaction each, {args.single:,} timed)")
    print(
        f"  baselines: sha-256 floor {args.single / single_floor:,.0f}/s; bare INSERT+COMMIT "
        f"floor {args.single / durable_floor:,.0f}/s (ours = {durable_floor / single_seconds:.2f}x "
        "of it, alternating rounds)"
    )
    print(
        f"  for reference: INSERT+COMMIT into a TEMPORARY table (no WAL flush) "
        f"{args.single / unlogged_floor:,.0f}/s (ours = {unlogged_floor / single_seconds:.2f}x of it)"
    )
    print(f"batched appends: {bulk_rate:,.0f}/s  (entries_record, {args.batch:,} per transaction)")
    print(
        f"inclusion proofs: median {inclusion_median * 1000:.2f} ms, p95 {percentile(inclusion_times, 0.95) * 1000:.2f} ms, "
        f"{1 / inclusion_median:,.0f}/s"
    )
    print(
        f"consistency proofs: median {consistency_median * 1000:.2f} ms, p95 {percentile(consistency_times, 0.95) * 1000:.2f} ms, "
        f"{1 / consistency_median:,.0f}/s"
    )
    print(f"queries per proof: max {max(queries)}, mean {sum(queries) / len(queries):.2f}")
    print(
        f"sha-256 floor per inclusion proof: {proof_floor * 1e6:.2f} us; ours/floor ratio {inclusion_median / proof_floor:,.0f}x"
    )
    ratio = durable_floor / single_seconds
    ok_proofs = inclusion_median < 0.005 and consistency_median < 0.005
    ok_single = ratio >= 0.5
    ok_batch = bulk_rate >= 10_000
    print(f"target proof median < 5 ms: {'PASS' if ok_proofs else 'FAIL'}")
    print(
        f"target single appends >= 0.5x the INSERT+COMMIT floor: "
        f"{'PASS' if ok_single else 'FAIL'} ({ratio:.2f}x)"
    )
    print(f"target batched appends >= 10,000/s: {'PASS' if ok_batch else 'FAIL'}")
    raise SystemExit(0 if ok_proofs and ok_single and ok_batch else 1)


if __name__ == "__main__":
    main()
