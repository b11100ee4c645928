"""Chat rooms and messages through the services: who reads and posts where, limits, edits,
deletions and moderation on the record."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from accounts.models import User
from accounts.roles import Role
from community import chat_selectors as selectors
from community import chat_text
from community.models import Ban, Message, MessageEdit, ModerationAction, Mute, Report, Room
from community.services import chat, moderation, registrations
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ledger.models import Leaf
from ledger.pseudonyms import pseudonym
from tests.community.conftest import T0
from tests.community.helpers import say

pytestmark = pytest.mark.django_db


# --- Text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold** _it_ `code`", "<p><strong>bold</strong> <em>it</em> <code>code</code></p>"),
        ("<script>alert(1)</script>hi", "<p>hi</p>"),  # scripts go with their content
        ("![pixel](https://tracker.example/p.gif)", "<p></p>"),  # no images: no tracking pixels
        ("[x](javascript:alert(1))", '<p><a rel="noopener noreferrer nofollow">x</a></p>'),
        ("# Title", "Title"),  # a heading reads as a line of text
        ('<b onclick="x()">b</b>', "<p>b</p>"),  # raw HTML is not in the subset
    ],
)
def test_markdown_subset_is_sanitised(text: str, html: str) -> None:
    assert chat_text.render(text) == html


def test_links_keep_their_address_and_cannot_reach_back() -> None:
    assert chat_text.render("[docs](https://example.com/a)") == (
        '<p><a href="https://example.com/a" rel="noopener noreferrer nofollow">docs</a></p>'
    )


def test_mentions_are_found_once_each_and_not_in_email_addresses() -> None:
    assert chat_text.mentioned_names("@Ada hi @bob, and @ada again; mail ada@example.com") == [
        "ada",
        "bob",
    ]


# --- Who reads and posts ------------------------------------------------------------------


def test_verified_member_posts_in_the_lounge_with_increasing_ids(
    lounge: Room, member: User
) -> None:
    first = say(lounge, member, "hello *all*")
    second = say(lounge, member, "second")
    assert (first.seq, second.seq) == (1, 2)
    assert first.body_html == "<p>hello <em>all</em></p>"
    lounge.refresh_from_db()
    assert lounge.last_seq == 2


def test_unverified_person_reads_the_lounge_but_cannot_post(
    lounge: Room, user_factory: Any
) -> None:
    newcomer = user_factory(roles=[Role.PIONEER])
    assert selectors.room_for_reader(user=newcomer, slug="lounge") == lounge
    with pytest.raises(Forbidden, match="identity-verified"):
        say(lounge, newcomer, "hi")
    assert not Message.objects.exists()
    lounge.refresh_from_db()
    assert lounge.last_seq == 0


@pytest.mark.parametrize(
    ("body", "field_message"),
    [
        ("", "Write something"),  # empty
        ("   \n ", "Write something"),  # only blank space
        ("x" * (chat_text.MAX_LENGTH + 1), "limited to 2000"),  # too long
        (42, "as text"),  # not a string
        ("a\x00b", "NUL"),  # PostgreSQL cannot store it
    ],
)
def test_bad_bodies_are_refused_per_field(
    lounge: Room, member: User, body: Any, field_message: str
) -> None:
    with pytest.raises(InvalidInput, match=field_message) as error:
        chat.message_post(room=lounge, author=member, body=body)
    assert error.value.field == "body"
    assert not Message.objects.exists()


def test_moderators_room_is_for_moderators_only(
    moderators_room: Room, member: User, moderator: User
) -> None:
    with pytest.raises(NotFound):
        selectors.room_for_reader(user=member, slug="moderators")
    assert say(moderators_room, moderator, "queue is long today").seq == 1


def test_workshop_room_is_for_hosts_and_confirmed_attendees(
    make_workshop: Callable[..., Any], members: Callable[[int], list[User]], moderator: User
) -> None:
    workshop = make_workshop(capacity=1, chat_enabled=True)
    room = workshop.chat_room
    seated, waiting, outsider = members(3)
    registrations.registration_create(workshop=workshop, user=seated, now=T0)
    registrations.registration_create(workshop=workshop, user=waiting, now=T0)
    assert selectors.can_read(user=seated, room=room)
    assert selectors.can_read(user=moderator, room=room)  # the host
    assert not selectors.can_read(user=waiting, room=room)
    assert not selectors.can_read(user=outsider, room=room)
    with pytest.raises(Forbidden):
        say(room, outsider, "let me in")


def test_project_room_is_for_its_requester_and_people_who_worked_it(
    member_factory: Callable[..., User], user_factory: Any
) -> None:
    from tasks.services.feed import item_claim_next
    from tasks.services.items import items_upload
    from tasks.services.projects import project_create, project_publish

    requester = user_factory(roles=[Role.REQUESTER])
    project = project_create(
        owner=requester, title="Cats", kind="single_label", labels=["a", "b"], gold_rate=0.0
    )
    one_item = io.BytesIO(b'{"payload": {"t": 1}}\n')
    items_upload(project=project, actor=requester, stream=one_item, fmt="jsonl")
    project = project_publish(project=project, actor=requester)
    room = chat.room_open_for_project(project=project)
    worker, stranger = member_factory(), member_factory()
    item_claim_next(project=project, pioneer=worker)
    assert selectors.can_read(user=requester, room=room)
    assert selectors.can_read(user=worker, room=room)
    assert not selectors.can_read(user=stranger, room=room)


# --- Limits -------------------------------------------------------------------------------


def test_rate_limit_says_when_to_retry_and_lifts_as_time_moves(lounge: Room, member: User) -> None:
    for n in range(chat.RATE_LIMIT_COUNT):
        say(lounge, member, f"m{n}", now=T0 + timedelta(seconds=n))
    with pytest.raises(chat.PostingTooFast) as error:
        say(lounge, member, "one more", now=T0 + timedelta(seconds=5))
    assert error.value.status_code == 429
    assert error.value.retry_after == 5  # the first of the five leaves the window at T0+10s
    assert say(lounge, member, "later", now=T0 + timedelta(seconds=10, milliseconds=1)).seq == 6


def test_slow_mode_spaces_one_persons_posts(lounge: Room, member: User, moderator: User) -> None:
    moderation.room_set_slow_mode(room=lounge, moderator=moderator, seconds=30)
    lounge.refresh_from_db()
    say(lounge, member, "first", now=T0)
    with pytest.raises(chat.PostingTooFast, match="Slow mode") as error:
        say(lounge, member, "second", now=T0 + timedelta(seconds=20))
    assert error.value.retry_after == 10
    say(lounge, member, "second", now=T0 + timedelta(seconds=30))
    assert ModerationAction.objects.filter(action="slow_mode", actor=moderator).exists()


@pytest.mark.parametrize("seconds", [-1, 3601, "10", True, None])
def test_slow_mode_bounds(lounge: Room, moderator: User, seconds: Any) -> None:
    with pytest.raises(InvalidInput):
        moderation.room_set_slow_mode(room=lounge, moderator=moderator, seconds=seconds)


def test_only_moderators_set_slow_mode(lounge: Room, member: User) -> None:
    with pytest.raises(Forbidden):
        moderation.room_set_slow_mode(room=lounge, moderator=member, seconds=10)


# --- Edits and deletions ------------------------------------------------------------------


def test_author_edits_within_fifteen_minutes_and_the_history_is_kept(
    lounge: Room, member: User
) -> None:
    message = say(lounge, member, "helo", now=T0)
    chat.message_edit(message=message, editor=member, body="hello", now=T0 + timedelta(minutes=14))
    message.refresh_from_db()
    assert (message.body, message.body_html) == ("hello", "<p>hello</p>")
    assert [edit.previous_body for edit in selectors.edit_history(message=message)] == ["helo"]
    with pytest.raises(Conflict, match="15 minutes"):
        chat.message_edit(message=message, editor=member, body="x", now=T0 + timedelta(minutes=16))


def test_nobody_edits_or_deletes_someone_elses_message(
    lounge: Room, members: Callable[[int], list[User]]
) -> None:
    author, other = members(2)
    message = say(lounge, author, "mine", now=T0)
    with pytest.raises(Forbidden):
        chat.message_edit(message=message, editor=other, body="yours now", now=T0)
    with pytest.raises(Forbidden):
        chat.message_delete(message=message, actor=other, now=T0)
    assert not MessageEdit.objects.exists()


def test_author_deletes_own_message_and_readers_see_only_that(lounge: Room, member: User) -> None:
    message = say(lounge, member, "oops")
    chat.message_delete(message=message, actor=member)
    message.refresh_from_db()
    event = chat.message_event(message)
    assert event["deleted"]
    assert event["body"] == ""
    assert not event["removed_by_moderator"]
    assert message.body == "oops"  # kept for the record


# --- Moderation ---------------------------------------------------------------------------


def test_report_lands_in_the_queue_once(lounge: Room, members: Callable[[int], list[User]]) -> None:
    author, reporter = members(2)
    message = say(lounge, author, "spam spam")
    report = moderation.report_create(message=message, reporter=reporter, reason="spam")
    assert list(selectors.open_reports()) == [report]
    with pytest.raises(Conflict):
        moderation.report_create(message=message, reporter=reporter, reason="again")
    with pytest.raises(InvalidInput):
        moderation.report_create(message=message, reporter=author, reason="me")
    with pytest.raises(InvalidInput, match="reason"):
        moderation.report_create(message=message, reporter=reporter, reason="  ")


def test_moderator_removes_with_a_reason_kept_and_reports_resolved(
    lounge: Room, members: Callable[[int], list[User]], moderator: User
) -> None:
    author, reporter = members(2)
    message = say(lounge, author, "rude words")
    moderation.report_create(message=message, reporter=reporter, reason="rude")
    with pytest.raises(InvalidInput):
        moderation.message_remove(message=message, moderator=moderator, reason="")
    with pytest.raises(Forbidden):
        moderation.message_remove(message=message, moderator=reporter, reason="I dislike it")
    moderation.message_remove(message=message, moderator=moderator, reason="insults")
    message.refresh_from_db()
    assert (message.body, message.delete_reason, message.deleted_by) == (
        "rude words",
        "insults",
        moderator,
    )
    assert chat.message_event(message)["removed_by_moderator"]
    assert not selectors.open_reports().exists()
    assert Report.objects.get().resolution == "message_removed"
    action = ModerationAction.objects.get(action="message_remove")
    assert (action.actor, action.subject, action.reason) == (moderator, author, "insults")


def test_muted_person_is_told_until_when_and_why_until_the_mute_ends(
    lounge: Room, member: User, moderator: User
) -> None:
    moderation.mute_create(
        subject=member, moderator=moderator, room=lounge, minutes=30, reason="flooding", now=T0
    )
    with pytest.raises(chat.Muted) as error:
        say(lounge, member, "hi", now=T0 + timedelta(minutes=29))
    assert error.value.until == T0 + timedelta(minutes=30)
    assert "flooding" in error.value.message
    assert "until" in error.value.message
    assert say(lounge, member, "back", now=T0 + timedelta(minutes=30, seconds=1)).seq == 1


def test_mute_everywhere_reaches_every_room_and_the_public_log(
    lounge: Room, member: User, moderator: User, make_workshop: Callable[..., Any]
) -> None:
    workshop = make_workshop(chat_enabled=True, host=moderator)
    registrations.registration_create(workshop=workshop, user=member, now=T0)
    moderation.mute_create(subject=member, moderator=moderator, minutes=60, reason="x", now=T0)
    for room in (lounge, workshop.chat_room):
        with pytest.raises(chat.Muted, match="every room"):
            say(room, member, "hi", now=T0)
    payload = json.loads(Leaf.objects.get(kind="community.moderation").data)["payload"]
    assert payload["subject"] == pseudonym("community.member", member.public_id)
    assert (payload["action"], payload["room"]) == ("mute", None)
    assert payload["until"] == f"{T0 + timedelta(minutes=60):%Y-%m-%dT%H:%M:%SZ}"
    assert Mute.objects.get().room is None


def test_banned_person_no_longer_reads_or_posts_and_the_ban_is_public(
    lounge: Room, member: User, moderator: User
) -> None:
    moderation.ban_create(subject=member, moderator=moderator, room=lounge, reason="spam bot")
    with pytest.raises(NotFound):
        selectors.room_for_reader(user=member, slug="lounge")
    with pytest.raises(Forbidden):
        say(lounge, member, "still here?")
    assert Ban.objects.filter(user=member, room=lounge).exists()
    assert Leaf.objects.filter(kind="community.moderation").count() == 1
    with pytest.raises(Conflict):
        moderation.ban_create(subject=member, moderator=moderator, room=lounge, reason="again")


@pytest.mark.parametrize("minutes", [0, -5, "10", 60 * 24 * 366, None])
def test_mute_length_is_checked(lounge: Room, member: User, moderator: User, minutes: Any) -> None:
    with pytest.raises(InvalidInput):
        moderation.mute_create(
            subject=member, moderator=moderator, room=lounge, minutes=minutes, reason="r"
        )
    assert not Mute.objects.exists()


# --- Reads --------------------------------------------------------------------------------


def test_history_pages_back_by_id(lounge: Room, member: User) -> None:
    for n in range(7):
        say(lounge, member, f"m{n}", now=T0 + timedelta(seconds=3 * n))
    assert [m.seq for m in selectors.history(room=lounge, limit=3)] == [5, 6, 7]
    assert [m.seq for m in selectors.history(room=lounge, before=5, limit=3)] == [2, 3, 4]


def test_resume_is_bounded_and_says_where_to_page_back(
    lounge: Room, member: User, moderator: User, settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "RESUME_LIMIT", 3)
    for n in range(5):
        say(lounge, moderator, f"m{n}")
    missed = selectors.missed_since(room=lounge, after=0)
    assert [m.seq for m in missed.messages] == [3, 4, 5]
    assert missed.older_before == 3
    assert selectors.missed_since(room=lounge, after=2).older_before is None


def test_unread_counts_follow_the_read_mark_in_one_query(
    lounge: Room,
    members: Callable[[int], list[User]],
    moderator: User,
    make_workshop: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    reader, writer = members(2)
    for n in range(3):
        make_workshop(chat_enabled=True, title=f"W{n}")
    for room in Room.objects.all():
        if selectors.can_read(user=moderator, room=room):
            say(room, moderator, "hello")
    say(lounge, writer, "one")
    chat.room_mark_read(room=lounge, user=reader, seq=1)
    with django_assert_max_num_queries(3):  # permissions (2), the rooms (1)
        rooms = {room.slug: room.unread for room in selectors.rooms_with_unread(user=reader)}
    assert rooms == {"lounge": 1}
    with django_assert_max_num_queries(3):  # permissions (2), the rooms (1)
        counts = [room.unread for room in selectors.rooms_with_unread(user=moderator)]
    assert len(counts) == 5
    chat.room_mark_read(room=lounge, user=reader, seq=99)  # capped at the newest
    assert selectors.rooms_with_unread(user=reader).get(slug="lounge").unread == 0
