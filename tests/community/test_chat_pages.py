"""Chat pages: the room list, a room with its history, and one page per action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from community.models import Message, ModerationAction, Mute, Report, Room
from community.services import chat, moderation
from tests.community.helpers import say

pytestmark = pytest.mark.django_db


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_room_list_shows_unread_counts(lounge: Room, members: Callable[[int], list[User]]) -> None:
    reader, writer = members(2)
    say(lounge, writer, "one")
    say(lounge, writer, "two")
    page = browser(reader).get("/chat/")
    assert page.status_code == 200
    assert b"2 unread" in page.content


def test_room_page_renders_history_in_bounded_queries(
    lounge: Room,
    members: Callable[[int], list[User]],
    moderator: User,
    django_assert_max_num_queries: Any,
) -> None:
    reader, writer = members(2)
    client = browser(reader)
    say(lounge, writer, "**first**")
    with django_assert_max_num_queries(20) as few:
        client.get("/chat/lounge/")
    for n in range(30):
        say(lounge, moderator, f"m{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/chat/lounge/")
    assert page.status_code == 200
    assert b"<strong>first</strong>" in page.content
    assert page.content.count(b'data-testid="chat-message"') == 31
    assert b'data-last-id="31"' in page.content
    # Opening the room read it.
    assert chat.selectors.rooms_with_unread(user=reader).get(slug="lounge").unread == 0


def test_older_messages_page_back(lounge: Room, moderator: User, member: User) -> None:
    for n in range(55):
        say(lounge, moderator, f"message number {n}")
    page = browser(member).get("/chat/lounge/")
    assert b'href="?before=6"' in page.content
    older = browser(member).get("/chat/lounge/?before=6")
    assert older.content.count(b'data-testid="chat-message"') == 5
    assert b'data-live="false"' in older.content


def test_unknown_room_and_others_private_rooms_are_404(member: User) -> None:
    assert browser(member).get("/chat/nowhere/").status_code == 404
    assert browser(member).get("/chat/moderators/").status_code == 404


def test_unverified_person_reads_and_is_told_how_to_post(lounge: Room, user_factory: Any) -> None:
    page = browser(user_factory()).get("/chat/lounge/")
    assert b"Verify your identity" in page.content
    assert b'id="chat-form"' not in page.content


def test_posting_without_javascript(lounge: Room, member: User) -> None:
    response = browser(member).post("/chat/lounge/post/", {"body": "from a form"})
    assert response.status_code == 302
    assert Message.objects.get().body == "from a form"


def test_muted_person_sees_until_when_and_why(lounge: Room, member: User, moderator: User) -> None:
    moderation.mute_create(
        subject=member, moderator=moderator, room=lounge, minutes=60, reason="calm"
    )
    page = browser(member).get("/chat/lounge/")
    assert b'data-testid="muted"' in page.content
    assert b"calm" in page.content
    browser(member).post("/chat/lounge/post/", {"body": "hi"})
    assert not Message.objects.exists()


def test_edit_page_changes_own_message(lounge: Room, member: User) -> None:
    say(lounge, member, "helo")
    client = browser(member)
    assert b"helo" in client.get("/chat/lounge/m/1/edit/").content
    assert client.post("/chat/lounge/m/1/edit/", {"body": "hello"}).status_code == 302
    assert Message.objects.get().body == "hello"


def test_report_page_and_the_queue_with_context(
    lounge: Room,
    members: Callable[[int], list[User]],
    moderator: User,
    django_assert_max_num_queries: Any,
) -> None:
    author, reporter = members(2)
    for n in range(5):
        say(lounge, moderator, f"before {n}")
    say(lounge, author, "the bad one")
    say(lounge, moderator, "after")
    response = browser(reporter).post("/chat/lounge/m/6/report/", {"reason": "rude"})
    assert response.status_code == 302
    assert Report.objects.get().reason == "rude"
    client = browser(moderator)
    with django_assert_max_num_queries(15):
        queue = client.get("/chat/reports/")
    text = queue.content.decode()
    assert "the bad one" in text
    assert "before 4" in text
    assert "after" in text
    assert "before 1" not in text  # three either side


def test_queue_and_moderator_pages_are_for_moderators(lounge: Room, member: User) -> None:
    say(lounge, member, "x")
    client = browser(member)
    assert client.get("/chat/reports/").status_code == 403
    assert client.get("/chat/lounge/m/1/remove/").status_code == 403
    assert client.get(f"/chat/lounge/people/{member.public_id}/mute/").status_code == 403


def test_moderator_removes_mutes_and_bans_from_pages(
    lounge: Room, members: Callable[[int], list[User]], moderator: User
) -> None:
    author, _ = members(2)
    say(lounge, author, "spam")
    client = browser(moderator)
    assert client.post("/chat/lounge/m/1/remove/", {"reason": ""}).status_code == 200  # re-shown
    assert client.post("/chat/lounge/m/1/remove/", {"reason": "spam"}).status_code == 302
    assert Message.objects.get().delete_reason == "spam"
    person = f"/chat/lounge/people/{author.public_id}"
    response = client.post(
        person + "/mute/", {"minutes": "60", "reason": "spam", "everywhere": "on"}
    )
    assert response.status_code == 302
    assert Mute.objects.get().room is None
    assert client.post(person + "/ban/", {"reason": "spam bot"}).status_code == 302
    assert [a.action for a in ModerationAction.objects.order_by("pk")] == [
        "message_remove",
        "mute",
        "ban",
    ]
