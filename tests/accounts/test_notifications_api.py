"""`/api/v1/notifications/`: one's own only, cursor pages with the unread count, marking
read, per-kind e-mail settings; bad input is a 400 naming the field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import NotificationSetting
from accounts.notification_kinds import KINDS
from accounts.services.notifications import notification_send, notifications_mark_read

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"
READ = "/api/v1/notifications/read/"
SETTINGS = "/api/v1/notifications/settings/"


def tell(user: Any, n: int, kind: str = "project.paused") -> list[Any]:
    return [
        notification_send(
            user=user, kind=kind, title=f"Notice {i}", body="Text.", url=f"/projects/{i}/"
        )
        for i in range(n)
    ]


def test_list_shows_only_ones_own_newest_first_with_the_unread_count(
    signed_in_api: APIClient, user: Any, user_factory: Any
) -> None:
    mine = tell(user, 3)
    tell(user_factory(), 2)
    notifications_mark_read(user=user, public_ids=[mine[0].public_id])
    response = signed_in_api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["unread_count"] == 2
    assert [row["id"] for row in body["results"]] == [str(n.public_id) for n in reversed(mine)]
    assert body["results"][0] == {
        "id": str(mine[2].public_id),
        "kind": "project.paused",
        "title": "Notice 2",
        "body": "Text.",
        "url": "/projects/2/",
        "created_at": body["results"][0]["created_at"],
        "read_at": None,
    }
    assert body["results"][2]["read_at"] is not None


def test_list_pages_by_cursor(signed_in_api: APIClient, user: Any) -> None:
    tell(user, 5)
    first = signed_in_api.get(LIST, {"page_size": 2}).json()
    second = signed_in_api.get(first["next"]).json()
    assert [r["title"] for r in first["results"] + second["results"]] == [
        "Notice 4",
        "Notice 3",
        "Notice 2",
        "Notice 1",
    ]
    assert second["unread_count"] == 5


@pytest.mark.parametrize("rows", [1, 30])
def test_list_queries_do_not_grow_with_rows(
    signed_in_api: APIClient, user: Any, rows: int, django_assert_max_num_queries: Any
) -> None:
    tell(user, rows)
    with django_assert_max_num_queries(6):
        assert signed_in_api.get(LIST).status_code == 200


def test_mark_some_then_all_read(signed_in_api: APIClient, user: Any, user_factory: Any) -> None:
    mine = tell(user, 3)
    [foreign] = tell(user_factory(), 1)
    response = signed_in_api.post(
        READ, {"ids": [str(mine[0].public_id), str(foreign.public_id), str(uuid.uuid4())]}
    )
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread_count": 2}
    foreign.refresh_from_db()
    assert foreign.read_at is None  # someone else's id marks nothing
    assert signed_in_api.post(READ, {"all": True}).json() == {"marked": 2, "unread_count": 0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "ids"),  # neither
        ({"ids": [], "all": True}, "ids"),  # both
        ({"ids": ["not-a-uuid"]}, "ids"),  # "Item 1: ..." under the list's own name
        ({"all": "maybe"}, "all"),
        ({"ids": "everything"}, "ids"),
    ],
)
def test_mark_read_refuses_bad_input(
    signed_in_api: APIClient, user: Any, body: dict[str, Any], field: str
) -> None:
    response = signed_in_api.post(READ, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_settings_show_every_kind_and_change_some(signed_in_api: APIClient, user: Any) -> None:
    kinds = signed_in_api.get(SETTINGS).json()["kinds"]
    assert [row["kind"] for row in kinds] == list(KINDS)
    assert {row["kind"]: row["email"] for row in kinds}["chat.mention"] is True
    response = signed_in_api.patch(
        SETTINGS, {"email": {"chat.mention": False, "project.paused": True}}
    )
    assert response.status_code == 200
    chosen = {row["kind"]: row["email"] for row in response.json()["kinds"]}
    assert chosen["chat.mention"] is False
    assert chosen["project.paused"] is True
    assert chosen["kyc.decision"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"email": {"chat.whisper": True}},  # no such kind
        {"email": {"workshop.registration": True}},  # never e-mailed
        {"email": {"chat.mention": "perhaps"}},
        {"email": ["chat.mention"]},
        {},
    ],
)
def test_settings_refuse_bad_input(
    signed_in_api: APIClient, user: Any, body: dict[str, Any]
) -> None:
    response = signed_in_api.patch(SETTINGS, body)
    assert response.status_code == 400
    assert [key.split(".")[0] for key in response.json()["errors"]] == ["email"]
    assert not NotificationSetting.objects.exists()


def test_anonymous_gets_nothing(api_client: APIClient) -> None:
    assert api_client.get(LIST).status_code == 401
    assert api_client.post(READ, {"all": True}).status_code == 401
    assert api_client.get(SETTINGS).status_code == 401
