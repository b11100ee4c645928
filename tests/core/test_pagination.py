"""Cursor pagination refuses a cursor it did not issue with a 400 naming the cursor, never
a 404 (nothing is missing) or a 500 (the position reaching the database unchecked)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from tasks.services.projects import project_create
from tests.conftest import sign_in_with_totp


def cursor(querystring: str) -> str:
    return base64.b64encode(querystring.encode()).decode()


@pytest.mark.parametrize(
    "value",
    [
        "abc",  # not base64 (padding)
        cursor("o=-1"),  # negative offset
        cursor("p=abc"),  # a position that is no primary key
        cursor("p=99999999999999999999999"),  # beyond the column's range
        cursor("p=1.5"),  # not a whole number
    ],
)
def test_a_forged_cursor_is_bad_input(user_factory: Any, value: str) -> None:
    client = APIClient()
    client.force_login(user_factory(roles=[Role.PIONEER], verified=True))
    response = client.get("/api/v1/credits/", {"cursor": value})
    assert response.status_code == 400, response.content
    assert response.json() == {"errors": {"cursor": ["Invalid cursor"]}}


@pytest.mark.parametrize(
    "value",
    [
        cursor("p=yesterday"),  # not a time
        cursor("p=2026-13-45T00:00:00"),  # no such date
    ],
)
def test_a_forged_time_position_is_bad_input(user_factory: Any, value: str) -> None:
    client = sign_in_with_totp(APIClient(), user_factory(roles=[Role.MODERATOR], totp=True))
    response = client.get("/api/v1/kyc/queue/", {"cursor": value})
    assert response.status_code == 400, response.content
    assert response.json() == {"errors": {"cursor": ["Invalid cursor"]}}


def test_an_issued_cursor_still_pages(user_factory: Any) -> None:
    requester = user_factory(roles=[Role.REQUESTER])
    for title in ("first", "second"):
        project_create(owner=requester, title=title, kind="free_text")
    client = APIClient()
    client.force_login(requester)
    first = client.get("/api/v1/projects/", {"mine": "1", "page_size": 1}).json()
    second = client.get(first["next"]).json()
    assert [page["results"][0]["title"] for page in (first, second)] == ["second", "first"]
