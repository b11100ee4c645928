"""What a person is told about their reputation is kept, not only pushed live: a
moderator's penalty and the decision on its appeal, each with the moderator's reason and
never the moderator's identity, and a review ring cleared, without the other members."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.db import connections

from accounts.models import Notification
from accounts.roles import Role
from core.errors import Conflict
from reputation.models import Penalty, ReviewRing
from reputation.services.penalties import appeal_decide, penalty_appeal, penalty_impose
from reputation.services.rings import ring_clear
from tests.accounts.helpers import connected, identity_of, named, next_event
from tests.reputation.helpers import make_ring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

EXPLANATION = "Three answers copied word for word from another pioneer's."


def _people(user_factory: Any) -> tuple[Any, Any, Any]:
    person = user_factory()
    moderator = named(user_factory(roles=[Role.MODERATOR]), "Mod Margaret")
    second = named(user_factory(roles=[Role.MODERATOR]), "Mod Sam")
    return person, moderator, second


def _text(notification: Notification) -> str:
    return f"{notification.title}\n{notification.body}\n{notification.url}"


def test_a_penalty_is_kept_with_its_reason_and_mailed(
    user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person, moderator, _ = _people(user_factory)
    with django_capture_on_commit_callbacks(execute=True):
        penalty = penalty_impose(
            moderator=moderator, user=person, reason="copied", explanation=EXPLANATION
        )

    [told] = Notification.objects.all()
    assert (told.kind, told.recipient) == ("reputation.penalty", person)
    assert penalty.get_reason_display() in told.title
    assert EXPLANATION in told.body
    assert "appeal" in told.body
    # The page that shows the penalty and its appeal form.
    assert told.url == f"/reputation/#penalty-{penalty.public_id}"
    for part in identity_of(moderator):
        assert part not in _text(told)
    # Penalties matter when away: mailed by default.
    [message] = mail.outbox
    assert message.to == [person.email]
    assert EXPLANATION in message.body


@pytest.mark.parametrize(
    ("decision", "title", "says"),
    [
        (Penalty.Appeal.UPHELD, "Your appeal was refused", "the penalty stands"),
        (Penalty.Appeal.OVERTURNED, "Your appeal was granted", "no longer counts"),
    ],
)
def test_the_decision_on_an_appeal_is_kept_with_the_moderators_reason(
    user_factory: Any,
    django_capture_on_commit_callbacks: Any,
    decision: str,
    title: str,
    says: str,
) -> None:
    person, moderator, second = _people(user_factory)
    penalty = penalty_impose(moderator=moderator, user=person, reason="copied", explanation="x")
    penalty_appeal(user=person, penalty=penalty, text="The answers are my own.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            moderator=second, penalty=penalty, decision=decision, note="Checked the timestamps."
        )

    told = Notification.objects.get(kind="reputation.appeal_decided")
    assert told.recipient == person
    assert told.title == title
    assert says in told.body
    assert "Checked the timestamps." in told.body
    assert told.url == f"/reputation/#penalty-{penalty.public_id}"
    for someone in (moderator, second):
        for part in identity_of(someone):
            assert part not in _text(told)
    assert not Notification.objects.exclude(recipient=person).exists()
    [message] = mail.outbox
    assert message.to == [person.email]


def test_a_refused_decision_tells_nobody(user_factory: Any) -> None:
    person, moderator, _ = _people(user_factory)
    penalty = penalty_impose(moderator=moderator, user=person, reason="copied", explanation="x")
    with pytest.raises(Conflict, match="pending"):
        appeal_decide(moderator=moderator, penalty=penalty, decision="upheld", note="No.")
    assert not Notification.objects.filter(kind="reputation.appeal_decided").exists()


def test_a_cleared_ring_tells_each_member_without_naming_the_others(
    user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a, b, outsider = make_ring(user_factory)
    named(a, "Alice Ring")
    named(b, "Bob Ring")
    moderator = named(user_factory(roles=[Role.MODERATOR]), "Mod Margaret")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ring_clear(
            ring=ReviewRing.objects.get(), moderator=moderator, note="Bob and Alice share a desk."
        )

    told = Notification.objects.filter(kind="reputation.ring_cleared")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([a.pk, b.pk])
    for notification in told:
        other = b if notification.recipient_id == a.pk else a
        assert "count again" in notification.body
        assert notification.url == "/reputation/"
        # Neither the other member, nor the moderator, nor the moderator's own note.
        for part in [*identity_of(other), *identity_of(moderator), "share a desk"]:
            assert part not in _text(notification)
    assert not Notification.objects.filter(recipient=outsider).exists()
    # Good news with nothing to do: on the bell, not mailed unless asked for.
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
async def test_penalty_and_appeal_reach_an_open_page_live(user_factory: Any) -> None:
    person, moderator, second = await sync_to_async(_people)(user_factory)
    socket = await connected(person)
    try:
        penalty = await sync_to_async(penalty_impose)(
            moderator=moderator, user=person, reason="copied", explanation=EXPLANATION
        )
        # The event pages already handle, then the bell's.
        pushed = await next_event(socket, "reputation.penalty")
        assert pushed["penalty"] == str(penalty.public_id)
        bell = await next_event(socket, "notification")
        assert bell["notification"]["kind"] == "reputation.penalty"
        assert bell["unread_count"] == 1

        await sync_to_async(penalty_appeal)(user=person, penalty=penalty, text="Mine.")
        await sync_to_async(appeal_decide)(
            moderator=second, penalty=penalty, decision="overturned", note="Original work."
        )
        pushed = await next_event(socket, "reputation.appeal")
        assert "granted" in pushed["message"]
        bell = await next_event(socket, "notification")
        assert bell["notification"]["kind"] == "reputation.appeal_decided"
        assert "Original work." in bell["notification"]["body"]
        assert bell["unread_count"] == 2
    finally:
        await socket.disconnect()
        await sync_to_async(connections.close_all)()
