"""Next-item benchmark: 16 worker processes claim and answer every slot of a project.

Each worker is its own process with its own PostgreSQL connection, and loops "claim the
next item, answer it" until the project has nothing left for it. Three claimers run on the
same data shape in the same run, each on a fresh project:

- service: `tasks.services.feed.item_claim_next` + `assignment_answer` (the project's code:
  permission and level checks, lazy reclaim, SKIP LOCKED claim, gold scoring, credits);
- raw: the floor, a bare psycopg loop `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP
  LOCKED LIMIT 1) RETURNING` plus the assignment insert, answered with plain SQL too;
  its "not had by this pioneer" check is the service's per-item probe, so the floor is
  not slowed by the anti-join plan the service avoids (see `tasks.statements.claim_sql`);
- naive: the plain Django claim, `select_for_update()` without skip_locked (then an
  UPDATE and the assignment insert), so every worker queues on the first open row;
  answered through the service like the service's loop, so only the claim differs.

Each worker first does one untimed claim and answer (its connection, prepared statements
and lazy imports), then all start together. Printed per claimer: claims/s over the run,
p50/p99 claim latency, and violations (a pioneer holding an item twice, an item with more
live reservations + answers than its overlap, slots left unfilled). Targets (issue): service >= 0.5x raw, >= 3x naive.

The issue's size is 50,000 items x overlap 3 (150,000 claims per claimer); on a 2-core
machine that takes far beyond five minutes for three claimers, so the default is smaller
and `--full` runs the full size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer python bench/next_item_bench.py
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from typing import Any

from _django import percentile, setup_django, throwaway_database

setup_django()

from django.db import connection, connections
from django.utils import timezone

WORKERS = 16
OVERLAP = 3
FULL_ITEMS = 50_000
DEFAULT_ITEMS = 2_000

RAW_CLAIM = """
UPDATE tasks_item SET open_slots = open_slots - 1
WHERE id = (
    SELECT i.id FROM tasks_item i
    WHERE i.project_id = %(project)s AND NOT i.is_gold AND i.open_slots > 0
      AND NOT EXISTS (
          SELECT 1 FROM tasks_assignment a
          WHERE a.item_id = i.id AND a.pioneer_id = %(pioneer)s OFFSET 0
      )
    ORDER BY i.id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id
"""
RAW_ASSIGN = """
INSERT INTO tasks_assignment
    (public_id, project_id, item_id, pioneer_id, status, created_at, expires_at, warned)
VALUES (gen_random_uuid(), %(project)s, %(item)s, %(pioneer)s, 'reserved', now(),
        now() + interval '1 hour', false)
RETURNING id
"""
RAW_ANSWER = """
WITH done AS (
    UPDATE tasks_assignment SET status = 'submitted', finished_at = now()
    WHERE id = %(assignment)s AND status = 'reserved' RETURNING id
)
INSERT INTO tasks_answer
    (assignment_id, project_id, item_id, pioneer_id, value, is_gold, created_at)
SELECT id, %(project)s, %(item)s, %(pioneer)s, '"cat"', false, now() FROM done
"""


def build(items: int, label: str) -> tuple[int, list[int]]:
    """A published project with `items` items and WORKERS verified pioneers."""
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services.users import user_grant_role, user_set_verified
    from tasks.models import Item, Project, State
    from tasks.services.projects import project_create

    requester = User.objects.create_user(f"requester-{label}@bench.example", "x")
    user_grant_role(user=requester, role=Role.REQUESTER)
    project = project_create(
        owner=requester,
        title=f"bench {label}",
        kind="single_label",
        labels=["cat", "dog"],
        overlap=OVERLAP,
        reservation_timeout=3600,
        gold_rate=0.0,
    )
    for start in range(0, items, 5000):
        Item.objects.bulk_create(
            Item(project=project, payload={"n": n}, open_slots=OVERLAP)
            for n in range(start, min(items, start + 5000))
        )
    Project.objects.filter(pk=project.pk).update(state=State.PUBLISHED, published_at=timezone.now())
    pioneers = []
    for n in range(WORKERS):
        person = User.objects.create_user(f"pioneer-{label}-{n}@bench.example", "x")
        user_grant_role(user=person, role=Role.PIONEER)
        user_set_verified(user=person)
        pioneers.append(person.pk)
    return project.pk, pioneers


Step = Callable[[], "float | None"]


def _service_step(project_id: int, pioneer_id: int) -> Step:
    from accounts.models import User
    from tasks.models import Project
    from tasks.services import feed

    project = Project.objects.get(pk=project_id)
    pioneer = User.objects.get(pk=pioneer_id)

    def step() -> float | None:
        start = time.perf_counter()
        claim = feed.item_claim_next(project=project, pioneer=pioneer)
        took = time.perf_counter() - start
        if claim is None:
            return None
        feed.assignment_answer(assignment=claim.assignment, pioneer=pioneer, value="cat")
        return took

    return step


def _naive_step(project_id: int, pioneer_id: int) -> Step:
    """The straightforward Django claim: the service's own ORM take with `wait=True`, a
    plain `select_for_update()` (no skip_locked) on the first open item, then the
    assignment insert, in one transaction. Every worker queues on the same first open row.
    Answers go through the service, as in the service's own loop, so only the claim
    differs."""
    from datetime import timedelta

    from django.db import transaction

    from accounts.models import User
    from tasks import selectors
    from tasks.models import Assignment, Project
    from tasks.services import feed

    project = Project.objects.get(pk=project_id)
    pioneer = User.objects.get(pk=pioneer_id)

    def step() -> float | None:
        start = time.perf_counter()
        selectors.check_may_work(user=pioneer, project=project)
        now = timezone.now()
        with transaction.atomic():
            item = feed._take_open_item(project, pioneer, wait=True)
            if item is None:
                return None
            assignment = Assignment.objects.create(
                project=project,
                item=item,
                pioneer=pioneer,
                created_at=now,
                expires_at=now + timedelta(seconds=project.reservation_timeout),
            )
        took = time.perf_counter() - start
        feed.assignment_answer(assignment=assignment, pioneer=pioneer, value="cat")
        return took

    return step


def _raw_step(project_id: int, pioneer_id: int) -> Step:
    import psycopg

    settings = connection.settings_dict
    raw = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    params: dict[str, Any] = {"project": project_id, "pioneer": pioneer_id}

    def step() -> float | None:
        start = time.perf_counter()
        with raw.transaction():
            row = raw.execute(RAW_CLAIM, params).fetchone()
            if row is None:
                return None
            params["item"] = row[0]
            params["assignment"] = raw.execute(RAW_ASSIGN, params).fetchone()[0]  # type: ignore[index]
        took = time.perf_counter() - start
        with raw.transaction():
            raw.execute(RAW_ANSWER, params)
        return took

    return step


STEPS: dict[str, Callable[[int, int], Step]] = {
    "service": _service_step,
    "raw": _raw_step,
    "naive": _naive_step,
}


def _worker(mode: str, project_id: int, pioneer_id: int, barrier: Any, out: Any) -> None:
    connections.close_all()  # never share the parent's socket
    try:
        step = STEPS[mode](project_id, pioneer_id)
        # One untimed round first: the connection, prepared statements and lazy imports
        # are a process's start-up, not its steady state.
        step()
        barrier.wait()
        started, cpu = time.monotonic(), time.process_time()
        latencies = []
        while (took := step()) is not None:
            latencies.append(took)
        out.put((started, time.monotonic(), latencies, time.process_time() - cpu, None))
    except BaseException as error:
        out.put((0.0, 0.0, [], 0.0, repr(error)))
    finally:
        connections.close_all()


def violations(project_id: int, items: int) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT item_id, pioneer_id FROM tasks_assignment "
            "WHERE project_id = %s GROUP BY 1, 2 HAVING count(*) > 1) d",
            [project_id],
        )
        duplicates = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM (SELECT item_id FROM tasks_assignment WHERE project_id = %s "
            "AND status IN ('reserved', 'submitted') GROUP BY 1 HAVING count(*) > %s) o",
            [project_id, OVERLAP],
        )
        over = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tasks_answer WHERE project_id = %s", [project_id])
        answers = cursor.fetchone()[0]
    return {
        "duplicate": duplicates,
        "over_overlap": over,
        "unfilled": items * OVERLAP - answers,
    }


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (all processes, the database's too),
    or None where /proc/stat does not exist."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run(mode: str, items: int) -> dict[str, Any]:
    project_id, pioneers = build(items, mode)
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(WORKERS + 1)  # and this process, to read the machine's CPU
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(mode, project_id, pioneer, barrier, out))
        for pioneer in pioneers
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    busy_before = _busy_cpu_seconds()
    results = [out.get() for _ in procs]
    busy_after = _busy_cpu_seconds()
    for proc in procs:
        proc.join()
    errors = [error for *_, error in results if error]
    if errors:
        raise SystemExit(f"{mode}: worker failed: {errors[0]}")
    wall = max(end for _, end, *_ in results) - min(start for start, *_ in results)
    latencies = [value for _, _, samples, *_ in results for value in samples]
    claims = len(latencies)
    client_cpu = sum(cpu for *_, cpu, _ in results)
    machine_cpu = busy_after - busy_before if busy_before is not None and busy_after else None
    return {
        "mode": mode,
        "claims": claims,
        "wall": wall,
        "rate": claims / wall,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "client_cpu": client_cpu / claims * 1000,
        "machine_cpu": machine_cpu / claims * 1000 if machine_cpu is not None else None,
        "violations": violations(project_id, items),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=None, help="items per claimer's project")
    parser.add_argument(
        "--full", action="store_true", help=f"the issue's size: {FULL_ITEMS:,} items"
    )
    parser.add_argument("--modes", default="service,raw,naive")
    args = parser.parse_args()
    items = args.items or (FULL_ITEMS if args.full else DEFAULT_ITEMS)
    print(
        f"next-item bench: {WORKERS} worker processes, {items:,} items x overlap {OVERLAP} "
        f"= {items * OVERLAP:,} claims per claimer"
        + ("" if items == FULL_ITEMS else f" (issue size {FULL_ITEMS:,}: run with --full)")
    )
    with throwaway_database():
        rows = [run(mode, items) for mode in args.modes.split(",")]
    print(
        f"{'claimer':<9}{'claims':>9}{'wall s':>9}{'claims/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'cpu ms/claim':>14}  violations"
    )
    for row in rows:
        v = row["violations"]
        machine = f"{row['machine_cpu']:.2f}" if row["machine_cpu"] is not None else "?"
        print(
            f"{row['mode']:<9}{row['claims']:>9,}{row['wall']:>9.1f}{row['rate']:>10.1f}"
            f"{row['p50']:>9.2f}{row['p99']:>9.2f}{row['client_cpu']:>6.2f} / {machine:<5}"
            f"  duplicate={v['duplicate']} "
            f"over_overlap={v['over_overlap']} unfilled={v['unfilled']}"
        )
    by_mode = {row["mode"]: row for row in rows}
    service = by_mode.get("service")
    failed = False
    if service and "raw" in by_mode:
        ratio = service["rate"] / by_mode["raw"]["rate"]
        ok = ratio >= 0.5
        failed |= not ok
        print(f"service / raw   = {ratio:.2f}x  (target >= 0.5x)  {'OK' if ok else 'MISSED'}")
    if service and "naive" in by_mode:
        ratio = service["rate"] / by_mode["naive"]["rate"]
        ok = ratio >= 3
        failed |= not ok
        print(f"service / naive = {ratio:.2f}x  (target >= 3x)    {'OK' if ok else 'MISSED'}")
    bad = sum(sum(row["violations"].values()) for row in rows)
    print(f"violations total: {bad} (must be 0)")
    print(
        "cpu ms/claim: the workers' own CPU per claim-and-answer / the whole machine's busy"
        " CPU per claim over the run (workers, database and the rest)"
    )
    if bad or failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
