"""Workshop registration under load: 200 clients register for one workshop at once.

Two registrars run on the same shape in the same run, each on a fresh workshop of
`--seats` seats, alternating for `--rounds` rounds:

- service: `community.services.registrations.registration_create` (the project's code:
  visibility and audience checks, the workshop's row lock, the registration row, the seat
  counters, the audit row, and after commit the socket events and the mail job);
- raw: the floor, one PostgreSQL statement per client in autocommit (its own transaction)
  that locks the workshop row, inserts the registration as confirmed or waitlisted from
  the counters, and bumps them: a conditional insert, without the audit row, the checks
  of who may register, or anything after the commit.

The clients are served by `--workers` processes, each with its own connection (a pool, as
ASGI processes would use; PostgreSQL here allows 100 connections for everyone), which
take the 200 clients from a shared queue as fast as they can. Each worker first makes one
untimed registration elsewhere (connection, imports), then all start together.

Printed per registrar: registrations/s over the run, p50/p99 latency, and over-booking
(confirmed above capacity, counters that disagree with the rows, gaps in the arrival
order); any over-booking fails the run. Target (issue): service >= 0.5x raw.

Side effects are measured as a request pays them: socket events go to the configured
channel layer (Redis when REDIS_URL is set), and the mail job is published to an
in-process broker instead of being run, as a worker would run it elsewhere.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer python bench/workshop_bench.py
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

from _django import percentile, setup_django, throwaway_database

setup_django()

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

RAW_REGISTER = """
WITH w AS (
    SELECT id, capacity, confirmed_count, offered_count, waitlist_count, next_queue_number
    FROM community_workshop WHERE id = %(workshop)s FOR UPDATE
), ins AS (
    INSERT INTO community_registration
        (public_id, workshop_id, user_id, status, queue_number, confirmed_at, attendance,
         created_at, updated_at)
    SELECT gen_random_uuid(), w.id, %(user)s,
           CASE WHEN w.confirmed_count + w.offered_count < w.capacity AND w.waitlist_count = 0
                THEN 'confirmed' ELSE 'waitlisted' END,
           w.next_queue_number,
           CASE WHEN w.confirmed_count + w.offered_count < w.capacity AND w.waitlist_count = 0
                THEN now() END,
           'unmarked', now(), now()
    FROM w
    ON CONFLICT (workshop_id, user_id) DO NOTHING
    RETURNING status
)
UPDATE community_workshop c SET
    confirmed_count = w.confirmed_count + (ins.status = 'confirmed')::int,
    waitlist_count = w.waitlist_count + (ins.status = 'waitlisted')::int,
    next_queue_number = w.next_queue_number + 1
FROM ins, w WHERE c.id = w.id
RETURNING ins.status
"""


def build(clients: int, workers: int) -> tuple[int, list[int], list[int]]:
    """The host, `clients` members and one warm-up member per worker."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services.users import user_grant_role

    host = User.objects.create_user("host@bench.example", "x")
    user_grant_role(user=host, role=Role.MODERATOR)
    people = User.objects.bulk_create(
        [User(email=f"member{n}@bench.example", password="!") for n in range(clients + workers)]
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in people]
    )
    ids = [person.pk for person in people]
    return host.pk, ids[:clients], ids[clients:]


def new_workshop(host_id: int, seats: int, label: str) -> int:
    from accounts.models import User
    from community.services import workshops

    start = timezone.now() + timedelta(days=7)
    workshop = workshops.workshop_create(
        actor=User.objects.get(pk=host_id),
        title=f"bench {label}",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=seats,
        online_url="https://meet.example.com/bench",
        publish=True,
    )
    return workshop.pk


Register = Callable[[int], str]


def _service(workshop_id: int) -> Register:
    from accounts.models import User
    from community.models import Workshop
    from community.services import registrations

    workshop = Workshop.objects.get(pk=workshop_id)
    # People as the view has them, from the session: loaded before the clock starts.
    people = {person.pk: person for person in User.objects.filter(email__endswith="@bench.example")}

    def register(user_id: int) -> str:
        result = registrations.registration_create(workshop=workshop, user=people[user_id])
        return str(result.registration.status)

    return register


def _raw(workshop_id: int) -> Register:
    import psycopg

    database = connection.settings_dict
    raw = psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        autocommit=True,
    )

    def register(user_id: int) -> str:
        # Autocommit: the one statement is its own transaction, one round trip.
        row = raw.execute(RAW_REGISTER, {"workshop": workshop_id, "user": user_id}).fetchone()
        return str(row[0]) if row else "duplicate"

    return register


REGISTRARS: dict[str, Callable[[int], Register]] = {"service": _service, "raw": _raw}


def _worker(
    mode: str,
    workshop_id: int,
    warm_workshop_id: int,
    warm_user: int,
    queue: Any,
    barrier: Any,
    out: Any,
) -> None:
    connections.close_all()  # never share the parent's socket
    try:
        REGISTRARS[mode](warm_workshop_id)(warm_user)
        register = REGISTRARS[mode](workshop_id)
        barrier.wait()
        started = time.monotonic()
        latencies = []
        while (user_id := queue.get()) is not None:
            begin = time.perf_counter()
            register(user_id)
            latencies.append(time.perf_counter() - begin)
        out.put((started, time.monotonic(), latencies, None))
    except BaseException as error:
        out.put((0.0, 0.0, [], repr(error)))
    finally:
        connections.close_all()


def run(
    mode: str, workshop_id: int, warm_id: int, clients: list[int], warm: list[int]
) -> dict[str, Any]:
    context = mp.get_context("fork")
    connections.close_all()
    queue = context.Queue()
    for user_id in clients:
        queue.put(user_id)
    for _ in warm:
        queue.put(None)
    barrier = context.Barrier(len(warm))
    out = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(mode, workshop_id, warm_id, warm_user, queue, barrier, out)
        )
        for warm_user in warm
    ]
    for process in processes:
        process.start()
    results = [out.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    errors = [error for *_, error in results if error]
    if errors:
        raise SystemExit(f"{mode}: worker failed: {errors[0]}")
    began = min(result[0] for result in results)
    ended = max(result[1] for result in results)
    latencies = [took for result in results for took in result[2]]
    return {"rate": len(latencies) / (ended - began), "latencies": latencies}


def overbooking(workshop_id: int, seats: int, clients: int) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'confirmed'), "
            "count(*) FILTER (WHERE status = 'waitlisted'), count(*), "
            "count(DISTINCT queue_number), min(queue_number), max(queue_number) "
            "FROM community_registration WHERE workshop_id = %s",
            [workshop_id],
        )
        confirmed, waiting, total, numbers, low, high = cursor.fetchone()
        cursor.execute(
            "SELECT confirmed_count, waitlist_count FROM community_workshop WHERE id = %s",
            [workshop_id],
        )
        counted_confirmed, counted_waiting = cursor.fetchone()
    return {
        "over_capacity": max(0, confirmed - seats),
        "seats_left_empty": max(0, min(seats, clients) - confirmed),
        "counter_mismatch": int((confirmed, waiting) != (counted_confirmed, counted_waiting)),
        "missing_rows": clients - total,
        "order_gaps": int(numbers != total or (total and (low, high) != (1, total))),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    rates: dict[str, list[float]] = {"raw": [], "service": []}
    latencies: dict[str, list[float]] = {"raw": [], "service": []}
    problems: dict[str, int] = {}
    with throwaway_database():
        host, clients, warm = build(args.clients, args.workers)
        for round_number in range(args.rounds):
            for mode in ("raw", "service"):
                workshop = new_workshop(host, args.seats, f"{mode} {round_number}")
                warm_workshop = new_workshop(host, args.workers, f"warm {mode} {round_number}")
                result = run(mode, workshop, warm_workshop, clients, warm)
                rates[mode].append(result["rate"])
                latencies[mode].extend(result["latencies"])
                for name, count in overbooking(workshop, args.seats, args.clients).items():
                    problems[f"{mode}:{name}"] = problems.get(f"{mode}:{name}", 0) + count
    print(
        f"{args.clients} clients register at once for {args.seats} seats, served by "
        f"{args.workers} worker processes with a connection each; PostgreSQL, channel layer "
        f"{layer}; {args.rounds} rounds per registrar, median shown"
    )
    for mode in ("raw", "service"):
        samples = latencies[mode]
        print(
            f"{mode:>8}: {statistics.median(rates[mode]):8.1f} registrations/s, "
            f"p50 {percentile(samples, 0.5) * 1000:6.1f} ms, p99 {percentile(samples, 0.99) * 1000:6.1f} ms"
        )
    ratio = statistics.median(rates["service"]) / statistics.median(rates["raw"])
    print(f"service / raw throughput: {ratio:.2f}x (target >= 0.5x)")
    bad = {name: count for name, count in problems.items() if count}
    print(f"over-booking and inconsistencies: {bad or 'none'}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
