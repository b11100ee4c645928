"""KYC moderator queue under load: 100,000 cases in every state on PostgreSQL.

Times the queue API (`/api/v1/kyc/queue/`) and the queue page (`/kyc/review/`) through
Django's full request stack as a moderator signed in with their second factor, and counts
their queries, against two baselines measured in the same run, in alternating rounds:

- a minimal Django view (`_kyc_baseline.py`) that sends the same SQL as the API and
  returns the same JSON (checked), through the same middleware: the fair floor for a
  whole request. Targets (issue 12): the API within 2x of it, the page within 3x;
- the raw SQL of one page of cases, without the request around it (for scale).

Also shows that the query count does not change with the page size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pioneer python bench/kyc_queue_bench.py
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import time
from typing import Any

from _django import median, percentile, setup_django, throwaway_database

# The bench sends hundreds of requests a second as one moderator; the API still runs its
# throttle on every request, at a rate the bench does not reach.
os.environ.setdefault("THROTTLE_USER", "1000000/min")
setup_django()

from django.db import connection, reset_queries
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.services.users import user_grant_role
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
    decided_states = {"approved", "rejected", "resubmission_requested"}
    for n, user in enumerate(users):
        state = rng.choice(states)
        submitted_at = now - datetime.timedelta(minutes=rng.randrange(60 * 24 * 30))
        # Decided cases carry their decision time, which the page's service figures read.
        decided_at = (
            min(now, submitted_at + datetime.timedelta(minutes=rng.randrange(1, 60 * 24 * 3)))
            if state in decided_states
            else None
        )
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
                submitted_at=submitted_at,
                decided_at=decided_at,
            )
        )
    # One open case per person is a partial unique index; every bench user has one case.
    Case.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table in service: statistics, and a visibility map that
        # lets counts read an index alone.
        cursor.execute("VACUUM ANALYZE kyc_case")


def signed_in_moderator() -> Client:
    """A moderator signed in as people sign in: password, then their authenticator code.

    The queue answers only a session that passed the second factor (accounts.mfa).
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

    from accounts.management.commands.seed_demo import DEMO_TOTP_SECRET

    password = "bench-moderator-password-2026"  # noqa: S105 - a throwaway database
    moderator = User.objects.create_user("bench-moderator@example.com", password)
    user_grant_role(user=moderator, role=Role.MODERATOR)
    EmailAddress.objects.create(user=moderator, email=moderator.email, verified=True, primary=True)
    TOTP.activate(moderator, DEMO_TOTP_SECRET)
    client = Client()

    def post(path: str, body: dict[str, str]) -> Any:
        return client.post(
            f"/_allauth/browser/v1/auth/{path}", json.dumps(body), content_type="application/json"
        )

    first = post("login", {"email": moderator.email, "password": password})
    assert first.status_code == 401, first.content  # the second factor is pending
    for counter in (int(time.time()) // 30, int(time.time()) // 30 + 1):
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        second = post("2fa/authenticate", {"code": code})
        if second.status_code == 200:
            return client
    raise SystemExit(f"the moderator could not sign in with their code: {second.content[:200]!r}")


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
    with throwaway_database(), override_settings(ROOT_URLCONF="_kyc_baseline"):
        build(args.cases, rng)
        waiting = Case.objects.filter(state__in=["in_review", "escalated", "appealed"]).count()
        client = signed_in_moderator()

        def api() -> None:
            response = client.get(f"/api/v1/kyc/queue/?page_size={args.page_size}")
            assert response.status_code == 200, response.content[:200]

        def view() -> None:
            response = client.get(f"/bench/kyc/queue/?page_size={args.page_size}")
            assert response.status_code == 200, response.content[:200]

        def page() -> None:
            response = client.get("/kyc/review/")
            assert response.status_code == 200, response.content[:200]

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute(RAW_PAGE, [args.page_size])
                cursor.fetchall()

        same = client.get(f"/api/v1/kyc/queue/?page_size={args.page_size}").json()
        assert same == client.get(f"/bench/kyc/queue/?page_size={args.page_size}").json(), (
            "the baseline view must answer what the API answers"
        )
        for warm in (api, view, page, raw):
            for _ in range(5):
                warm()
        # One request of each in turn, so that the load other processes put on the
        # machine falls on every contender alike.
        samples: dict[str, tuple[list[float], list[int]]] = {
            name: ([], []) for name in ("api", "view", "page", "raw")
        }
        cpu = dict.fromkeys(samples, 0.0)
        calls = {"api": api, "view": view, "page": page, "raw": raw}
        for _ in range(args.runs):
            for name, call in calls.items():
                began = time.process_time()
                latencies, queries = timed(call, 1)
                cpu[name] += time.process_time() - began
                samples[name][0].extend(latencies)
                samples[name][1].extend(queries)
        small = timed(lambda: client.get("/api/v1/kyc/queue/?page_size=10"), 5)[1]
        large = timed(lambda: client.get("/api/v1/kyc/queue/?page_size=200"), 5)[1]

    view_median = median(samples["view"][0])
    raw_median = median(samples["raw"][0])
    print(
        f"cases: {args.cases:,} in all states ({waiting:,} waiting), PostgreSQL, "
        f"{args.runs} requests each, page size {args.page_size}"
    )
    for name, label in (("api", "queue API"), ("page", "queue page"), ("view", "baseline view")):
        lat, queries = samples[name]
        print(
            f"{label}: median {median(lat) * 1000:.2f} ms, p95 {percentile(lat, 0.95) * 1000:.2f} ms, "
            f"{max(queries)} queries/request; {median(lat) / view_median:.2f}x the baseline view, "
            f"{median(lat) / raw_median:.1f}x the raw SQL; "
            f"{cpu[name] / args.runs * 1000:.2f} ms of this process's CPU per request"
        )
    print(
        f"raw SQL (same page, no conflict rules, no request): median {raw_median * 1000:.2f} ms, "
        f"p95 {percentile(samples['raw'][0], 0.95) * 1000:.2f} ms"
    )
    print(f"queries with page_size 10: {max(small)}, with page_size 200: {max(large)}")
    api_ratio = median(samples["api"][0]) / view_median
    page_ratio = median(samples["page"][0]) / view_median
    ok_api, ok_page = api_ratio <= 2, page_ratio <= 3
    print(f"target queue API within 2x the baseline view: {'PASS' if ok_api else 'FAIL'}")
    print(f"target queue page within 3x the baseline view: {'PASS' if ok_page else 'FAIL'}")
    raise SystemExit(0 if max(small) == max(large) and ok_api and ok_page else 1)


if __name__ == "__main__":
    main()
