"""Chat pages: the room list, a room with its history, and one page per action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
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


# What each action page does with a GET, a form the form itself refuses, a form the
# service refuses, and a good form: the page it shows, where it goes, what it says.
ACTION_PAGES = [
    # report: anyone who reads the room; the service refuses a second report
    ("report", "reporter", "m/1/report/", "Report a message", {"reason": "rude"}, "room",
     "Thank you: the moderators will look at it.", "You have already reported this message."),
    # remove: moderators; the service refuses a message already deleted
    ("remove", "moderator", "m/1/remove/", "Remove a message", {"reason": "spam"}, "room",
     "The message was removed; the reason is on the record.", "This message is already deleted."),
    # remove from the queue goes back to the queue
    ("remove", "moderator", "m/1/remove/?next=queue", "Remove a message", {"reason": "spam"},
     "queue", "The message was removed; the reason is on the record.",
     "This message is already deleted."),
    # mute: the service refuses a moderator muting themselves (an error beside no field)
    ("mute", "moderator", "people/{author}/mute/", "Mute",
     {"minutes": "60", "reason": "spam"}, "room", "Author is muted.", None),
    # ban: the service refuses a second ban from the same room
    ("ban", "moderator", "people/{author}/ban/", "Ban from the room", {"reason": "spam bot"},
     "room", "Author is banned from Lounge.", "This person is already banned from this room."),
    # slow mode and edit say nothing on success
    ("slow mode", "moderator", "slow-mode/", "Slow mode", {"seconds": "30"}, "room", None, None),
    ("edit", "author", "m/1/edit/", "Edit", {"body": "edited"}, "room", None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "who", "path", "title", "good", "back", "said", "refused"),
    ACTION_PAGES,
    ids=[f"{row[0]}{'-queue' if 'queue' in row[2] else ''}" for row in ACTION_PAGES],
)
def test_action_pages_show_refuse_and_redirect(
    lounge: Room,
    member_factory: Callable[..., User],
    moderator: User,
    name: str,
    who: str,
    path: str,
    title: str,
    good: dict[str, str],
    back: str,
    said: str | None,
    refused: str | None,
) -> None:
    author = member_factory()
    author.profile.display_name = "Author"
    author.profile.save(update_fields=["display_name"])
    reporter = member_factory()
    say(lounge, author, "the message")
    client = browser({"author": author, "reporter": reporter, "moderator": moderator}[who])
    url = "/chat/lounge/" + path.format(author=author.public_id)

    shown = client.get(url)
    assert shown.status_code == 200
    assert title in shown.content.decode()
    assert shown.context["room"] == lounge

    field = next(iter(good))
    blank = client.post(url, {**good, field: ""})
    assert blank.status_code == 200  # shown again, with the field's error
    assert blank.context["form"].errors

    done = client.post(url, good)
    assert done.status_code == 302
    assert done["Location"] == ("/chat/reports/" if back == "queue" else "/chat/lounge/")
    flashes = [str(message) for message in get_messages(done.wsgi_request)]
    assert flashes == ([said] if said else [])

    if refused:
        again = client.post(url, good)
        assert again.status_code == 200
        assert refused in again.content.decode()
