"""Reputation benchmark on PostgreSQL: the full recompute against a SQL GROUP BY, and
`event_record` from concurrent writers against bare INSERT + COMMIT.

1. Loads `--events` synthetic events (default 5,000,000, the issue's size; a smaller
   load does not show the target, because the rebuild's cost follows people and days, the
   GROUP BY's follows events) for `--users` people over `--days` days, straight into the table.
   Times `scores_recompute` twice: the first run builds every day row and score (nothing
   stored yet); the second is the daily run, as the beat makes it the next day: everything
   is rebuilt and compared (nothing differs) and every person's decayed standing is
   written. The baseline, in the same run, is one SQL GROUP BY computing the same decayed
   weighted counts per person (without the daily cap, which only the rules need).
   Target (issue): the daily run within 2x.
2. `--writers` threads (default 16), each with its own connection, record
   `--writes` events each through `event_record` (one transaction per event, every writer
   on its own people, as different pioneers answer at once). The baseline is the same
   threads doing bare INSERT + COMMIT of a row of the same shape. Target: at least 0.5x.
   A process that wrote a person's previous event writes the next without reading first
   (`reputation.statements.remember`); the writers here are in that steady state. The
   same writers are also run with that memory off, as when another process wrote each
   person's previous event, and that rate is printed beside it (no target of its own).
   All run `--rounds` times, alternately, after a VACUUM and a CHECKPOINT, and the
   median rates are compared: otherwise autovacuum and the checkpointer, still busy with
   the millions of rows loaded in part 1, land on whichever phase runs first or longest.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer python bench/reputation_bench.py
"""

from __future__ import annotations

import argparse
import functools
import os
import threading
import time
from collections.abc import Callable

from _django import median, setup_django, throwaway_database

# Every writer thread holds a connection for its whole run, besides the main thread's.
os.environ.setdefault("DB_POOL_MAX_SIZE", "24")
setup_django()

from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.models import User
from reputation import conf, scoring, statements
from reputation.models import ReputationScore
from reputation.services.events import event_record
from reputation.services.scores import scores_recompute


def load_people(count: int, prefix: str) -> list[int]:
    User.objects.bulk_create(
        [User(email=f"{prefix}{n}@bench.example", password="!") for n in range(count)],
        batch_size=5000,
    )
    return list(
        User.objects.filter(email__startswith=prefix).order_by("id").values_list("id", flat=True)
    )


def load_events(events: int, first_user: int, users: int, days: int, today: int) -> None:
    """Events spread over people and days; one in eight is bad, weights 0.5 to 2."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO reputation_reputationevent
                (user_id, source, positive, weight, subject, reason, rule_version, day,
                 created_at, voids_id)
            SELECT %(first)s + (g::bigint * 7919) %% %(users)s,
                   'gold', g %% 8 <> 0, (ARRAY[0.5, 1.0, 1.0, 2.0])[1 + g %% 4],
                   'bench:' || g, '', 1, %(today)s - (g / 13) %% %(days)s,
                   now() - make_interval(days => (g / 13) %% %(days)s), NULL
            FROM generate_series(1, %(events)s) AS g
            """,
            {"first": first_user, "users": users, "events": events, "today": today, "days": days},
        )
        cursor.execute("ANALYZE reputation_reputationevent")


def group_by_baseline(today: int, half_life: float) -> tuple[float, int]:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT user_id,
                   SUM(CASE WHEN positive THEN weight * power(2.0::float8, (day - %(today)s) / %(h)s)
                       ELSE 0 END),
                   SUM(weight * power(2.0::float8, (day - %(today)s) / %(h)s))
            FROM reputation_reputationevent
            WHERE voids_id IS NULL
            GROUP BY user_id
            """,
            {"today": today, "h": half_life},
        )
        rows = cursor.fetchall()
    return time.perf_counter() - start, len(rows)


def settle() -> None:
    """Leave nothing of part 1 for background workers to do during part 2."""
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) reputation_reputationevent, reputation_reputationday,"
            " reputation_reputationscore"
        )
        cursor.execute("CHECKPOINT")


def concurrently(writers: int, work: Callable[[int], None]) -> float:
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--writes", type=int, default=300, help="events per writer per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rules = conf.rules()
    today = scoring.day_number(timezone.now())

    with throwaway_database():
        people = load_people(args.users, "p")
        start = time.perf_counter()
        load_events(args.events, people[0], args.users, args.days, today)
        print(
            f"loaded {args.events:,} events for {args.users:,} people over {args.days} days "
            f"in {time.perf_counter() - start:.1f}s"
        )

        baseline_seconds, groups = group_by_baseline(today + 1, rules.half_life_days)
        start = time.perf_counter()
        first = scores_recompute(day=today)
        first_seconds = time.perf_counter() - start
        start = time.perf_counter()
        steady = scores_recompute(day=today + 1)
        steady_seconds = time.perf_counter() - start
        baseline_again, _ = group_by_baseline(today + 1, rules.half_life_days)
        baseline_seconds = min(baseline_seconds, baseline_again)
        assert groups == first.people == args.users
        assert len(first.differed) == args.users
        assert steady.differed == []
        assert ReputationScore.objects.filter(as_of_day=today + 1).count() == args.users

        # Concurrent writers, each on their own people.
        writers = load_people(args.writers * 4, "w")
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_insert_floor (id bigserial PRIMARY KEY, user_id bigint,"
                " source varchar(20), positive boolean, weight double precision,"
                " subject varchar(100), created_at timestamptz)"
            )

        def record(index: int, round_number: int) -> None:
            mine = User.objects.filter(id__in=writers[index * 4 : index * 4 + 4]).order_by("id")
            people_of_writer = list(mine)
            for n in range(args.writes):
                with transaction.atomic(durable=True):
                    event_record(
                        user=people_of_writer[n % 4],
                        source="gold",
                        positive=n % 8 != 0,
                        subject=f"bench:{round_number}.{index}.{n}",
                    )

        def insert(index: int) -> None:
            for n in range(args.writes):
                with transaction.atomic(durable=True), connection.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO bench_insert_floor (user_id, source, positive, weight,"
                        " subject, created_at) VALUES (%s, 'gold', %s, 1.0, %s, now())",
                        [writers[index * 4 + n % 4], n % 8 != 0, f"bench:{index}.{n}"],
                    )

        settle()
        floor_rates, record_rates, cold_rates = [], [], []
        total = args.writers * args.writes
        remember_seconds = statements.REMEMBER_SECONDS
        for round_number in range(args.rounds):
            floor_rates.append(total / concurrently(args.writers, insert))
            record_rates.append(
                total
                / concurrently(args.writers, functools.partial(record, round_number=round_number))
            )
            statements.REMEMBER_SECONDS = -1.0  # nothing remembered is recent enough
            try:
                cold_rates.append(
                    total
                    / concurrently(
                        args.writers,
                        functools.partial(record, round_number=args.rounds + round_number),
                    )
                )
            finally:
                statements.REMEMBER_SECONDS = remember_seconds
        assert scores_recompute(day=today + 1).differed == []

    print(f"GROUP BY baseline (decayed weighted counts per person): {baseline_seconds:.2f}s")
    print(
        f"full recompute, first build: {first_seconds:.2f}s "
        f"({first_seconds / baseline_seconds:.2f}x the GROUP BY)"
    )
    print(
        f"full recompute, the next day's run: {steady_seconds:.2f}s "
        f"({steady_seconds / baseline_seconds:.2f}x the GROUP BY)"
    )
    record_rate, floor_rate = median(record_rates), median(floor_rates)
    print(
        f"event_record, {args.writers} writers: {record_rate:,.0f}/s; bare INSERT+COMMIT: "
        f"{floor_rate:,.0f}/s; ratio {record_rate / floor_rate:.2f}x (medians of "
        f"{args.rounds} alternating rounds; event_record rounds: "
        f"{', '.join(f'{rate:,.0f}' for rate in record_rates)}/s, INSERT+COMMIT rounds: "
        f"{', '.join(f'{rate:,.0f}' for rate in floor_rates)}/s)"
    )
    cold_rate = median(cold_rates)
    print(
        f"event_record with nothing remembered (every person's previous event written by "
        f"another process): {cold_rate:,.0f}/s; ratio {cold_rate / floor_rate:.2f}x (rounds: "
        f"{', '.join(f'{rate:,.0f}' for rate in cold_rates)}/s)"
    )
    ok_recompute = steady_seconds <= 2 * baseline_seconds
    ok_writes = record_rate >= 0.5 * floor_rate
    print(f"target recompute within 2x of GROUP BY: {'PASS' if ok_recompute else 'FAIL'}")
    print(f"target event_record >= 0.5x INSERT+COMMIT: {'PASS' if ok_writes else 'FAIL'}")
    raise SystemExit(0 if ok_recompute and ok_writes else 1)


if __name__ == "__main__":
    main()
