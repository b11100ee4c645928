"""Earnings: every credit with its project and time, totals per project and per month, a
CSV of every credit, the same totals in the API, and a plain word on what a point is."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from dashboard.earnings import WHAT_A_POINT_IS

pytestmark = pytest.mark.django_db


@pytest.fixture
def earner(user_factory: Any, make_project: Any, work: Any) -> Any:
    pioneer = user_factory(verified=True)
    work(make_project(title="Birds", items=3, reward=2), pioneer, 3)
    work(make_project(title="=HYPERLINK(1)", items=2, reward=5), pioneer, 1)
    return pioneer


def signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_page_lists_credits_and_totals_in_fixed_queries(
    earner: Any,
    make_project: Any,
    work: Any,
    user_factory: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(earner)
    with django_assert_max_num_queries(9):
        page = client.get("/earnings/").content.decode()
    assert 'data-testid="total-points">11<' in page
    assert escape(WHAT_A_POINT_IS) in page
    month = timezone.now().strftime("%Y-%m")
    assert f'<td>{month}</td><td class="num">4</td><td class="num">11</td>' in page
    assert '<td>Birds</td><td class="num">3</td><td class="num">6</td>' in page
    assert page.count("<td>Birds</td>") == 4  # three credits and one total row
    # Another person's credits never show, and more rows cost no more queries.
    other = user_factory(verified=True)
    work(make_project(title="Not mine", items=2), other, 2)
    work(make_project(title="More", items=30, reward=1), earner, 30)
    with django_assert_max_num_queries(9):
        page = client.get("/earnings/").content.decode()
    assert "Not mine" not in page
    assert "Page 1 of 1" not in page  # 34 credits fit one page of 50
    assert 'data-testid="total-points">41<' in page


def test_credits_page_through_fifty_at_a_time(
    user_factory: Any, make_project: Any, work: Any
) -> None:
    pioneer = user_factory(verified=True)
    work(make_project(title="Long", items=55), pioneer, 55)
    client = signed_in(pioneer)
    first = client.get("/earnings/").content.decode()
    assert "Page 1 of 2" in first
    second = client.get("/earnings/?page=2").content.decode()
    assert second.count("<td>Long</td>") == 5 + 1
    assert client.get("/earnings/?page=nonsense").status_code == 200


def test_csv_has_every_credit_with_plain_cells(earner: Any) -> None:
    response = signed_in(earner).get("/earnings/credits.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["credited_at", "project_id", "project", "points", "reason"]
    assert len(rows) == 1 + 4
    titles = sorted(row[2] for row in rows[1:])
    # A title a spreadsheet would run as a formula stays text.
    assert titles == ["'=HYPERLINK(1)", "Birds", "Birds", "Birds"]
    assert {row[4] for row in rows[1:]} == {"answer_accepted"}
    assert all(row[0].endswith("Z") for row in rows[1:])


def test_earnings_pages_need_sign_in(client: Client) -> None:
    for url in ("/earnings/", "/earnings/credits.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_api_gives_the_same_totals(
    earner: Any, api_client: Any, django_assert_max_num_queries: Any
) -> None:
    api_client.force_authenticate(earner)
    with django_assert_max_num_queries(4):
        body = api_client.get("/api/v1/earnings/").json()
    assert body["total_points"] == 11
    assert body["credits"] == 4
    assert [(row["title"], row["points"], row["credits"]) for row in body["by_project"]] == [
        ("Birds", 6, 3),
        ("=HYPERLINK(1)", 5, 1),
    ]
    assert body["by_month"] == [
        {"month": timezone.now().strftime("%Y-%m"), "points": 11, "credits": 4}
    ]
    assert body["what_a_point_is"] == WHAT_A_POINT_IS


def test_api_with_no_credits_is_zero(user: Any, api_client: Any) -> None:
    api_client.force_authenticate(user)
    body = api_client.get("/api/v1/earnings/").json()
    assert (body["total_points"], body["by_project"], body["by_month"]) == (0, [], [])
