"""The queue API and page write their rows from the selected columns, not through a model
serializer or model instances: they must still say exactly what those said."""

from __future__ import annotations

import datetime
import json
import random
import statistics
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone
from django.utils.timesince import timesince
from rest_framework.renderers import JSONRenderer

from accounts.roles import Role
from kyc.models import Case, ReviewConflict, State
from kyc.selectors.queue import (
    _queue_page_statement,
    queue,
    queue_page,
    queue_rows,
    sla_figures,
)
from kyc.serializers import QueueCaseSerializer
from kyc.waits import WaitsInWords
from tests.conftest import pages_client

pytestmark = pytest.mark.django_db

# The page's row as the template wrote it from a model instance before.
MODEL_ROW = Template(
    """<tr>
        <td>{{ case.submitted_at|timesince }} ago</td>
        <td>{{ case.get_state_display }}{% if case.claimed_by %} <span class="badge">claimed</span>{% endif %}</td>
        <td>{{ case.get_document_type_display }}</td>
        <td>{{ case.issuing_state }}</td>
        <td>{% for flag in case.risk_flags %}<span class="badge badge-warn">{{ flag }}</span> {% empty %}—{% endfor %}</td>
        <td><a class="button button-small" href="{% url 'kyc:review-case' case.public_id %}">Open</a></td>
      </tr>"""
)


def waiting_cases(user_factory: Any, moderator: Any) -> list[Case]:
    """Queue rows of every shape: each state, flags or none, claims live, lapsed and
    absent, waits from minutes to months; and cases the moderator may not see."""
    now = timezone.now()
    other = user_factory(roles=[Role.MODERATOR])
    shapes: list[dict[str, Any]] = [
        {"state": State.IN_REVIEW, "age": datetime.timedelta(minutes=3)},
        {"state": State.ESCALATED, "flags": ["mrz_missing", "duplicate_identity"]},
        {"state": State.APPEALED, "claim": datetime.timedelta(minutes=20)},
        {"state": State.IN_REVIEW, "claim": -datetime.timedelta(minutes=1)},
        {"state": State.ESCALATED, "age": datetime.timedelta(days=45, hours=5)},
        {"state": State.IN_REVIEW, "document_type": "id_card", "age": datetime.timedelta(days=400)},
        {"state": State.IN_REVIEW, "document_type": "residence_permit"},
    ]
    cases = []
    for n, shape in enumerate(shapes):
        claim = shape.get("claim")
        cases.append(
            Case.objects.create(
                user=user_factory(),
                state=shape["state"],
                document_type=shape.get("document_type", "passport"),
                surname="Queue",
                given_names="Row",
                birth_date=datetime.date(1990, 1, 1),
                nationality="KEN",
                issuing_state=["KEN", "NGA", "DEU"][n % 3],
                document_number=f"Q{n:07d}",
                expiry_date=datetime.date(2031, 1, 1),
                risk_flags=shape.get("flags", []),
                claimed_by=other if claim else None,
                claim_expires_at=now + claim if claim else None,
                submitted_at=now - shape.get("age", datetime.timedelta(hours=n + 1)),
            )
        )
    # Never shown to this moderator: their own case, and a person they declared.
    for person in (moderator, user_factory()):
        hidden = Case.objects.create(
            user=person,
            state=State.IN_REVIEW,
            document_type="passport",
            surname="Hidden",
            given_names="Row",
            birth_date=datetime.date(1990, 1, 1),
            nationality="KEN",
            issuing_state="KEN",
            document_number=f"H{person.pk:07d}",
            expiry_date=datetime.date(2031, 1, 1),
            submitted_at=now - datetime.timedelta(days=900),
        )
        if person != moderator:
            ReviewConflict.objects.create(reviewer=moderator, subject=hidden.user)
    return cases


def test_queue_api_rows_are_what_the_serializer_wrote(
    user_factory: Any, moderator_api: Any
) -> None:
    client, moderator = moderator_api()
    waiting_cases(user_factory, moderator)
    expected = json.loads(
        JSONRenderer().render(
            QueueCaseSerializer(
                queue(reviewer=moderator).order_by("submitted_at", "pk"), many=True
            ).data
        )
    )
    answered = client.get("/api/v1/kyc/queue/?page_size=200").json()
    assert answered["results"] == expected
    assert len(expected) == 7
    assert [row["claimed"] for row in expected].count(True) == 1
    # Cursor pages over the dict rows still walk the whole queue, in order.
    seen, url = [], "/api/v1/kyc/queue/?page_size=2"
    while url:
        page = client.get(url).json()
        seen.extend(page["results"])
        url = page["next"]
    assert seen == expected


def test_queue_page_rows_are_what_the_model_template_wrote(
    user_factory: Any, moderator_api: Any
) -> None:
    api, moderator = moderator_api()
    waiting_cases(user_factory, moderator)
    page: Client = pages_client(api)
    response = page.get("/kyc/review/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = list(queue(reviewer=moderator)[:100])
    assert len(shown) == 7
    for case in shown:
        assert MODEL_ROW.render(Context({"case": case})) in html
    assert "Hidden" not in html


def reference_sla(since: datetime.datetime) -> tuple[float | None, float | None, int]:
    """The figures as they were computed before the database ranked the waits."""
    pairs = Case.objects.filter(decided_at__gte=since, submitted_at__isnull=False).values_list(
        "submitted_at", "decided_at"
    )
    hours = sorted((decided - submitted).total_seconds() / 3600 for submitted, decided in pairs)
    if not hours:
        return None, None, 0
    p90 = hours[min(len(hours) - 1, int(0.9 * len(hours)))]
    return round(statistics.median(hours), 2), round(p90, 2), len(hours)


@pytest.mark.parametrize("decided", [0, 1, 2, 9, 10, 31])
def test_service_figures_equal_sorting_every_wait_in_python(
    user_factory: Any, decided: int
) -> None:
    rng = random.Random(decided)
    now = timezone.now()
    for n in range(decided + 3):
        # Within the window, to the microsecond, waits from moments to days.
        decided_at = now - datetime.timedelta(microseconds=rng.randrange(10**12))
        submitted = decided_at - datetime.timedelta(microseconds=rng.randrange(1, 10**12))
        Case.objects.create(
            user=user_factory(),
            # Three more cases: one decided 31 days ago, one never submitted, one waiting.
            state=State.APPROVED if n != decided + 2 else State.IN_REVIEW,
            document_type="passport",
            surname="Sla",
            given_names="Row",
            birth_date=datetime.date(1990, 1, 1),
            nationality="KEN",
            issuing_state="KEN",
            document_number=f"S{n:07d}",
            expiry_date=datetime.date(2031, 1, 1),
            submitted_at=None if n == decided + 1 else submitted,
            decided_at=(
                now - datetime.timedelta(days=31)
                if n == decided
                else None
                if n == decided + 2
                else decided_at
            ),
        )
    figures = sla_figures()
    median, p90, count = reference_sla(now - datetime.timedelta(days=30))
    assert (
        figures.median_hours_to_decision,
        figures.p90_hours_to_decision,
        figures.decided_last_30_days,
    ) == (median, p90, count)
    assert count == decided
    assert figures.waiting == 1


def make_case(user: Any, *, state: str, decided: bool) -> Case:
    now = timezone.now()
    return Case.objects.create(
        user=user,
        state=state,
        document_type="passport",
        surname="Sla",
        given_names="Row",
        birth_date=datetime.date(1990, 1, 1),
        nationality="KEN",
        issuing_state="KEN",
        document_number=f"R{user.pk:07d}",
        expiry_date=datetime.date(2031, 1, 1),
        submitted_at=now - datetime.timedelta(hours=5),
        decided_at=now if decided else None,
    )


def test_pages_reuse_decision_figures_for_a_minute_but_count_the_waiting_now(
    user_factory: Any,
) -> None:
    from django.core.cache import cache

    cache.delete("kyc:sla:decision-figures")
    make_case(user_factory(), state=State.APPROVED, decided=True)
    first = sla_figures(reuse_decision_figures=True)
    assert (first.waiting, first.decided_last_30_days, first.median_hours_to_decision) == (
        0,
        1,
        5.0,
    )
    make_case(user_factory(), state=State.REJECTED, decided=True)
    make_case(user_factory(), state=State.IN_REVIEW, decided=False)
    reused = sla_figures(reuse_decision_figures=True)
    assert (reused.waiting, reused.decided_last_30_days) == (1, 1)
    fresh = sla_figures()
    assert (fresh.waiting, fresh.decided_last_30_days) == (1, 2)
    # Computing afresh also refreshes what pages reuse.
    assert sla_figures(reuse_decision_figures=True).decided_last_30_days == 2


def test_queue_page_words_every_wait_as_timesince_does() -> None:
    rng = random.Random(12)
    # Month ends, a leap day, the turn of a year: where the calendar arithmetic differs.
    nows = [
        datetime.datetime(2026, 3, 1, 0, 0, 30, 500000, tzinfo=datetime.UTC),
        datetime.datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        datetime.datetime(2027, 1, 1, 0, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 31, 12, 0, 0, tzinfo=datetime.UTC),
    ]
    fixed = [
        datetime.timedelta(seconds=-90),
        datetime.timedelta(0),
        datetime.timedelta(microseconds=999_999),
        datetime.timedelta(seconds=59, microseconds=999_999),
        datetime.timedelta(seconds=60),
        datetime.timedelta(days=7),
        datetime.timedelta(days=7, minutes=1),
        datetime.timedelta(days=28),
        datetime.timedelta(days=29, hours=1),
        datetime.timedelta(days=365),
        datetime.timedelta(days=366, minutes=1),
        datetime.timedelta(days=800),
    ]
    for now in nows:
        worded = WaitsInWords(now)
        for wait in [
            *fixed,
            *(
                datetime.timedelta(microseconds=rng.randrange(3 * 365 * 24 * 3600 * 10**6))
                for _ in range(3000)
            ),
        ]:
            assert worded(now - wait) == timesince(now - wait, now), (now, wait)
    # A time in another zone is worded in that zone's calendar, by timesince itself.
    elsewhere = datetime.timezone(datetime.timedelta(hours=3))
    then = datetime.datetime(2026, 1, 31, 23, 30, tzinfo=elsewhere)
    assert WaitsInWords(nows[0])(then) == timesince(then, nows[0])


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"state": "escalated"},
        {"country": "ken"},
        {"flag": "mrz_missing"},
        {"state": "in_review", "country": "DEU"},
        {"older_than_hours": 2},
    ],
)
def test_queue_page_rows_are_the_querysets_first_rows(
    user_factory: Any, filters: dict[str, Any]
) -> None:
    moderator = user_factory(roles=[Role.MODERATOR])
    waiting_cases(user_factory, moderator)
    for limit in (2, 100):
        expected = list(queue_rows(reviewer=moderator, **filters)[:limit])
        assert queue_page(reviewer=moderator, limit=limit, **filters) == expected
        # Asked again, from the statement compiled the first time.
        assert queue_page(reviewer=moderator, limit=limit, **filters) == expected


def test_queue_page_statement_is_the_orms_for_each_reviewer(user_factory: Any) -> None:
    first, second = user_factory(roles=[Role.MODERATOR]), user_factory(roles=[Role.MODERATOR])
    for reviewer in (first, second, first):
        assert _queue_page_statement(reviewer.pk, 100, None, "KEN", None) == (
            queue_rows(reviewer=reviewer, country="KEN")[:100].query.sql_with_params()
        )


def test_queue_page_applies_a_conflict_declared_after_its_statement_was_compiled(
    user_factory: Any,
) -> None:
    moderator = user_factory(roles=[Role.MODERATOR])
    cases = waiting_cases(user_factory, moderator)
    shown = {row["public_id"] for row in queue_page(reviewer=moderator, limit=100)}
    assert cases[0].public_id in shown
    ReviewConflict.objects.create(reviewer=moderator, subject=cases[0].user)
    shown = {row["public_id"] for row in queue_page(reviewer=moderator, limit=100)}
    assert cases[0].public_id not in shown
    assert len(shown) == len(cases) - 1
