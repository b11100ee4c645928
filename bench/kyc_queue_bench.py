"""KYC moderator queue under load: 100,000 cases in every state on PostgreSQL.

Times the queue API (`/api/v1/kyc/queue/`) and the queue page (`/kyc/review/`) through
Django's full request stack, and counts their queries, against the raw SQL that fetches
the same page of cases, measured in the same run. Also shows that the query count does
not change with the page size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer python bench/kyc_queue_bench.py
"""

from __future__ import annotations

import argparse
import datetime
import random
import time

from _django import median, percentile, setup_django, throwaway_database

setup_django()

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_grant_role
from kyc.models import Case, State

RAW_PAGE = """
SELECT c.id, c.public_id, c.state, c.document_type, c.issuing_state, c.risk_flags, c.submitted_at,
       c.claimed_by_id, c.claim_expires_at
FROM kyc_case c
WHERE c.state IN ('in_review', 'escalated', 'appealed')
ORDER BY c.submitted_at ASC NULLS LAST, c.id ASC
LIMIT %s
"""


def build(cases: int, rng: random.Random) -> None:
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(email=f"bench{n}@example.com", password="!") for n in range(cases)], batch_size=5000
    )
    states = list(State.values)
    rows = []
    for n, user in enumerate(users):
        state = rng.choice(states)
        rows.append(
            Case(
                user=user,
                state=state,
                document_type="passport",
                surname="Bench",
                given_names="Case",
                birth_date=datetime.date(1990, 1, 1),
                nationality="KEN",
                issuing_state=rng.choice(["KEN", "NGA", "GHA", "UGA", "DEU", "IND"]),
                document_number=f"B{n:08d}",
                expiry_date=datetime.date(2031, 1, 1),
                risk_flags=["mrz_missing"] if n % 7 == 0 else [],
                submitted_at=now - datetime.timedelta(minutes=rng.randrange(60 * 24 * 30)),
            )
        )
    # One open case per person is a partial unique index; every bench user has one case.
    Case.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE kyc_case")


def timed(call: object, runs: int) -> tuple[list[float], list[int]]:
    latencies, queries = [], []
    for _ in range(runs):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            call()  # type: ignore[operator]
            latencies.append(time.perf_counter() - start)
        queries.append(len(captured))
    return latencies, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(9303)
    with throwaway_database():
        build(args.cases, rng)
        waiting = Case.objects.filter(state__in=["in_review", "escalated", "appealed"]).count()
        moderator = User.objects.create_user("bench-moderator@example.com", "x")
        user_grant_role(user=moderator, role=Role.MODERATOR)
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(
            user=moderator, email=moderator.email, verified=True, primary=True
        )
        client = Client()
        client.force_login(moderator)

        def api() -> None:
            response = client.get(f"/api/v1/kyc/queue/?page_size={args.page_size}")
            assert response.status_code == 200, response.content[:200]

        def page() -> None:
            response = client.get("/kyc/review/")
            assert response.status_code == 200

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute(RAW_PAGE, [args.page_size])
                cursor.fetchall()

        for warm in (api, page, raw):
            warm()
        api_lat, api_q = timed(api, args.runs)
        page_lat, page_q = timed(page, args.runs)
        raw_lat, _ = timed(raw, args.runs)
        small = timed(lambda: client.get("/api/v1/kyc/queue/?page_size=10"), 5)[1]
        large = timed(lambda: client.get("/api/v1/kyc/queue/?page_size=200"), 5)[1]

    print(
        f"cases: {args.cases:,} in all states ({waiting:,} waiting), PostgreSQL, {args.runs} requests each"
    )
    for name, lat, queries in (("queue API", api_lat, api_q), ("queue page", page_lat, page_q)):
        print(
            f"{name}: median {median(lat) * 1000:.2f} ms, p95 {percentile(lat, 0.95) * 1000:.2f} ms, "
            f"{max(queries)} queries/request; ratio to raw SQL median {median(lat) / median(raw_lat):.1f}x"
        )
    print(
        f"raw SQL baseline (same page of {args.page_size}): median {median(raw_lat) * 1000:.2f} ms, p95 {percentile(raw_lat, 0.95) * 1000:.2f} ms"
    )
    print(f"queries with page_size 10: {max(small)}, with page_size 200: {max(large)}")
    raise SystemExit(0 if max(small) == max(large) else 1)


if __name__ == "__main__":
    main()
