"""What chat tells one person is kept as a notification: a mute (until when and why), a
ban from a room, and a mention; never the moderator's name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from accounts.models import Notification, User
from community.models import Room
from community.services import moderation
from community.services.common import utc_text
from core.errors import Conflict
from tests.accounts.helpers import identity_of, named
from tests.community.conftest import T0
from tests.community.helpers import say

pytestmark = pytest.mark.django_db


def _text(notification: Notification) -> str:
    return f"{notification.title}\n{notification.body}\n{notification.url}"


@pytest.mark.parametrize("in_room", [True, False])
def test_a_mute_is_kept_with_until_when_and_why(
    lounge: Room,
    member: User,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
    in_room: bool,
) -> None:
    named(moderator, "Mod Margaret")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.mute_create(
            subject=member,
            moderator=moderator,
            room=lounge if in_room else None,
            minutes=30,
            reason="Flooding the lounge.",
            now=T0,
        )

    [told] = Notification.objects.all()
    assert (told.kind, told.recipient) == ("chat.moderation", member)
    until = utc_text(T0 + timedelta(minutes=30))
    where = "in Lounge" if in_room else "in every chat room"
    assert told.title == f"You are muted {where} until {until}"
    assert "Flooding the lounge." in told.body
    # The room's page says it again, next to where they would post.
    assert told.url == ("/chat/lounge/" if in_room else "/chat/")
    for part in identity_of(moderator):
        assert part not in _text(told)
    # Told again on trying to post: on the bell, not mailed unless asked for.
    assert mail.outbox == []


def test_a_ban_is_kept_with_its_reason(
    lounge: Room, member: User, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    named(moderator, "Mod Margaret")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.ban_create(subject=member, moderator=moderator, room=lounge, reason="Spam bot.")

    [told] = Notification.objects.all()
    assert (told.kind, told.recipient) == ("chat.moderation", member)
    assert told.title == "You are banned from Lounge"
    assert "Spam bot." in told.body
    assert told.url == "/chat/"
    for part in identity_of(moderator):
        assert part not in _text(told)


def test_a_refused_ban_tells_nobody(lounge: Room, member: User, moderator: User) -> None:
    moderation.ban_create(subject=member, moderator=moderator, room=lounge, reason="Spam bot.")
    with pytest.raises(Conflict):
        moderation.ban_create(subject=member, moderator=moderator, room=lounge, reason="Again.")
    assert Notification.objects.count() == 1


def test_a_mention_is_kept_and_mailed_to_someone_away(
    lounge: Room, member_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    author = named(member_factory(), "Ada")
    grace = named(member_factory(), "Grace")
    with django_capture_on_commit_callbacks(execute=True):
        message = say(lounge, author, "thanks @grace and @ada!")

    [told] = Notification.objects.all()  # not the author, who named themselves
    assert (told.kind, told.recipient) == ("chat.mention", grace)
    assert told.title == "Ada mentioned you in Lounge"
    assert told.body == "thanks @grace and @ada!"
    assert told.url == f"/chat/lounge/#m-{message.seq}"
    [sent] = mail.outbox
    assert sent.to == [grace.email]
