"""The chat API: rooms with unread counts, history by id, posting under the socket's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from community.models import Room
from community.services import chat, moderation
from tests.community.helpers import say

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


def messages_url(slug: str) -> str:
    return f"/api/v1/rooms/{slug}/messages/"


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_rooms_list_unread_counts_without_growing_queries(
    lounge: Room,
    member: User,
    moderator: User,
    make_workshop: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_of(moderator)
    say(lounge, member, "one")
    say(lounge, member, "two")
    with django_assert_max_num_queries(6) as few:
        first = client.get(ROOMS)
    for n in range(5):
        make_workshop(chat_enabled=True, title=f"Room {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(ROOMS)
    assert first.status_code == response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert len(rows) == 7  # lounge, moderators, five workshops
    assert rows["lounge"]["unread"] == 2
    assert rows["lounge"]["last_id"] == 2


def test_member_sees_only_the_rooms_they_belong_to(lounge: Room, member: User) -> None:
    slugs = [row["slug"] for row in client_of(member).get(ROOMS).json()["results"]]
    assert slugs == ["lounge"]


def test_history_pages_back_with_before(lounge: Room, moderator: User, member: User) -> None:
    for n in range(5):
        say(lounge, moderator, f"m{n}")
    client = client_of(member)
    newest = client.get(messages_url("lounge") + "?limit=2").json()
    assert [m["id"] for m in newest["results"]] == [4, 5]
    assert newest["before"] == 4
    older = client.get(messages_url("lounge") + f"?limit=2&before={newest['before']}").json()
    assert [m["id"] for m in older["results"]] == [2, 3]
    oldest = client.get(messages_url("lounge") + "?limit=2&before=2").json()
    assert ([m["id"] for m in oldest["results"]], oldest["before"]) == ([1], None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("before=abc", "before"),  # not a number
        ("before=0", "before"),  # ids start at 1
        ("limit=1000", "limit"),  # more than a page may hold
        ("limit=-1", "limit"),
    ],
)
def test_bad_history_queries_are_400_per_field(
    lounge: Room, member: User, query: str, field: str
) -> None:
    response = client_of(member).get(messages_url("lounge") + "?" + query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_and_unreadable_rooms_are_the_same_404(member: User) -> None:
    client = client_of(member)
    assert client.get(messages_url("nowhere")).status_code == 404
    assert client.get(messages_url("moderators")).status_code == 404
    assert client.post(messages_url("moderators"), {"body": "hi"}).status_code == 404


@pytest.mark.parametrize(
    "slug",
    [
        "%00",  # a NUL byte, which PostgreSQL text cannot hold
        "lounge%00",  # a real room's slug with a NUL after it
        "%F0%9F%92%A9",  # not a slug at all
        "x" * 81,  # longer than any slug
    ],
)
def test_a_slug_that_is_no_slug_is_404_on_read_and_post(
    lounge: Room, member: User, slug: str
) -> None:
    client = client_of(member)
    assert client.get(messages_url(slug)).status_code == 404
    assert client.post(messages_url(slug), {"body": "hi"}).status_code == 404
    assert not lounge.messages.exists()


def test_post_stores_and_answers_the_message(lounge: Room, member: User) -> None:
    response = client_of(member).post(messages_url("lounge"), {"body": "hi **there**"})
    assert response.status_code == 201
    body = response.json()
    assert (body["id"], body["body_html"]) == (1, "<p>hi <strong>there</strong></p>")
    assert body["author"]["id"] == str(member.public_id)


def test_unverified_post_is_refused_with_the_reason(lounge: Room, user_factory: Any) -> None:
    response = client_of(user_factory()).post(messages_url("lounge"), {"body": "hi"})
    assert response.status_code == 403
    assert "verified" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {},  # no body
        {"body": ""},  # empty
        {"body": "x" * 2001},  # too long
        {"body": ["a"]},  # wrong type
    ],
)
def test_bad_posts_are_400_on_the_body_field(lounge: Room, member: User, body: Any) -> None:
    response = client_of(member).post(messages_url("lounge"), body, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert not lounge.messages.exists()


def test_rate_limited_post_says_when_to_retry(lounge: Room, member: User) -> None:
    client = client_of(member)
    for n in range(chat.RATE_LIMIT_COUNT):
        assert client.post(messages_url("lounge"), {"body": f"m{n}"}).status_code == 201
    response = client.post(messages_url("lounge"), {"body": "one too many"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 10


def test_muted_post_says_until_when_and_why(lounge: Room, member: User, moderator: User) -> None:
    moderation.mute_create(
        subject=member, moderator=moderator, room=lounge, minutes=10, reason="cool down"
    )
    response = client_of(member).post(messages_url("lounge"), {"body": "hi"})
    assert response.status_code == 403
    assert "until" in response.json()["detail"]
    assert "cool down" in response.json()["detail"]
