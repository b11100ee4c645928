"""A workshop's life (create, edit, publish, cancel, finish) and attendance into reputation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from community.models import Registration, Workshop, WorkshopLog
from community.models.workshops import Attendance, WorkshopStatus
from community.selectors import attendees
from community.services import attendance, chat, registrations, workshops
from core.errors import Conflict, DomainError, Forbidden, InvalidInput
from reputation.models import ReputationEvent
from tests.community.conftest import T0, reload

pytestmark = pytest.mark.django_db

START = T0 + timedelta(days=3)


def fields(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "Validator training",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "capacity": 20,
        "online_url": "https://meet.example.com/v",
    }
    values.update(overrides)
    return values


def test_moderators_and_level_4_members_host_others_may_not(
    moderator: Any, trusted_host: Any, member: Any
) -> None:
    assert workshops.workshop_create(actor=moderator, now=T0, **fields()).status == "draft"
    hosted = workshops.workshop_create(actor=trusted_host, now=T0, publish=True, **fields())
    assert hosted.status == WorkshopStatus.PUBLISHED
    assert list(hosted.hosts.all()) == [trusted_host]
    with pytest.raises(Forbidden, match="level 4"):
        workshops.workshop_create(actor=member, now=T0, **fields())
    assert Workshop.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        # the end before the start
        ({"ends_at": START - timedelta(minutes=1)}, "ends_at"),
        # the end equal to the start
        ({"ends_at": START}, "ends_at"),
        # a start in the past
        ({"starts_at": T0 - timedelta(hours=1), "ends_at": T0 + timedelta(hours=1)}, "starts_at"),
        # a naive time: no zone, no instant
        ({"starts_at": START.replace(tzinfo=None)}, "starts_at"),
        # longer than two weeks
        ({"ends_at": START + timedelta(days=15)}, "ends_at"),
        # no seats
        ({"capacity": 0}, "capacity"),
        # a capacity that is not a number
        ({"capacity": "ten"}, "capacity"),
        # an unknown zone
        ({"timezone": "Mars/Olympus"}, "timezone"),
        # a link that is not http(s)
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        # neither a link nor a place
        ({"online_url": "", "place": ""}, "online_url"),
        # registration opening after the start
        ({"registration_opens_at": START + timedelta(hours=1)}, "registration_opens_at"),
        # registration closing after the start
        ({"registration_closes_at": START + timedelta(minutes=1)}, "registration_closes_at"),
        # a window that closes before it opens
        (
            {
                "registration_opens_at": T0 + timedelta(days=2),
                "registration_closes_at": T0 + timedelta(days=1),
            },
            "registration_closes_at",
        ),
        # an unknown audience
        ({"audience": "friends"}, "audience"),
        # a level gate at level 1, which is everyone
        ({"audience": "level", "min_level": 1}, "min_level"),
        # a level beyond the top
        ({"min_level": 9}, "min_level"),
        # an empty title
        ({"title": "   "}, "title"),
    ],
)
def test_bad_workshops_are_refused_field_by_field(
    moderator: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        workshops.workshop_create(actor=moderator, now=T0, **fields(**overrides))
    assert raised.value.field == field
    assert Workshop.objects.count() == 0
    assert WorkshopLog.objects.count() == 0


def test_description_markdown_is_rendered_and_sanitised(moderator: Any) -> None:
    workshop = workshops.workshop_create(
        actor=moderator,
        now=T0,
        **fields(
            description="**Bring** questions <script>alert(1)</script> [x](javascript:alert(2))"
        ),
    )
    assert "<strong>Bring</strong>" in workshop.description_html
    assert "<script" not in workshop.description_html
    assert "javascript:" not in workshop.description_html


def test_cohosts_edit_and_only_hosts_or_moderators_may(
    trusted_host: Any, member_factory: Any, moderator: Any
) -> None:
    cohost, stranger = member_factory(), member_factory()
    workshop = workshops.workshop_create(actor=trusted_host, cohosts=[cohost], now=T0, **fields())
    workshops.workshop_update(workshop=workshop, actor=cohost, title="Renamed", now=T0)
    workshops.workshop_update(workshop=workshop, actor=moderator, place="Room 2", now=T0)
    with pytest.raises(Forbidden):
        workshops.workshop_update(workshop=workshop, actor=stranger, title="Mine now", now=T0)
    workshop = reload(workshop)
    assert (workshop.title, workshop.place) == ("Renamed", "Room 2")
    # Replacing co-hosts keeps the creator.
    workshops.workshop_update(workshop=workshop, actor=trusted_host, cohosts=[], now=T0)
    assert list(reload(workshop).hosts.all()) == [trusted_host]


def test_calendar_changes_bump_sequence_and_tell_attendees(
    make_workshop: Any, member: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop()
    registrations.registration_create(workshop=workshop, user=member, now=T0)
    workshops.workshop_update(workshop=workshop, actor=moderator, capacity=12, now=T0)
    assert reload(workshop).sequence == 0  # capacity is not in a calendar
    mail.outbox.clear()
    later = workshop.starts_at + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        workshops.workshop_update(
            workshop=workshop,
            actor=moderator,
            starts_at=later,
            ends_at=later + timedelta(hours=2),
            now=T0,
        )
    assert reload(workshop).sequence == 1
    [message] = mail.outbox
    assert message.to == [member.email]
    assert message.subject.startswith("New time or place")


def test_publishing_and_cancelling_follow_the_states(make_workshop: Any, moderator: Any) -> None:
    workshop = make_workshop(publish=False)
    workshops.workshop_publish(workshop=workshop, actor=moderator, now=T0)
    assert reload(workshop).status == WorkshopStatus.PUBLISHED
    with pytest.raises(Conflict, match="Only a draft"):
        workshops.workshop_publish(workshop=workshop, actor=moderator, now=T0)
    with pytest.raises(InvalidInput, match="Tell the people"):
        workshops.workshop_cancel(workshop=workshop, actor=moderator, message=" ", now=T0)
    workshops.workshop_cancel(workshop=workshop, actor=moderator, message="Moved online", now=T0)
    with pytest.raises(Conflict, match="already cancelled"):
        workshops.workshop_cancel(workshop=workshop, actor=moderator, message="again", now=T0)
    with pytest.raises(Conflict, match="no longer be edited"):
        workshops.workshop_update(workshop=workshop, actor=moderator, title="x", now=T0)
    actions = list(WorkshopLog.objects.filter(workshop=workshop).values_list("action", flat=True))
    assert actions == ["create", "publish", "cancel"]


def test_a_past_draft_cannot_be_published(make_workshop: Any, moderator: Any) -> None:
    workshop = make_workshop(publish=False)
    with pytest.raises(InvalidInput) as raised:
        workshops.workshop_publish(workshop=workshop, actor=moderator, now=T0 + timedelta(days=11))
    assert raised.value.field == "starts_at"


def seated(make_workshop: Any, members: Any, count: int) -> tuple[Workshop, list[Registration]]:
    workshop = make_workshop(capacity=count + 1)
    return workshop, [
        registrations.registration_create(workshop=workshop, user=person, now=T0).registration
        for person in members(count)
    ]


def test_attendance_becomes_reputation_when_the_workshop_ends(
    make_workshop: Any, members: Any, moderator: Any
) -> None:
    workshop, (came, stayed_away, unmarked) = seated(make_workshop, members, 3)
    door = workshop.starts_at + timedelta(minutes=5)
    attendance.attendance_mark(registration=came, actor=moderator, attendance="attended", now=door)
    attendance.attendance_mark(
        registration=stayed_away, actor=moderator, attendance="no_show", now=door
    )
    assert ReputationEvent.objects.count() == 0  # nothing counts before the end
    assert workshops.workshops_finish(now=workshop.ends_at - timedelta(minutes=1)) == 0
    assert workshops.workshops_finish(now=workshop.ends_at + timedelta(minutes=1)) == 1
    assert workshops.workshops_finish(now=workshop.ends_at + timedelta(minutes=2)) == 0
    assert reload(workshop).status == WorkshopStatus.FINISHED
    events = {event.user_id: event for event in ReputationEvent.objects.all()}
    assert set(events) == {came.user_id, stayed_away.user_id}
    assert events[came.user_id].positive
    assert events[came.user_id].weight == 1.0
    assert not events[stayed_away.user_id].positive
    assert events[stayed_away.user_id].weight == 0.5
    assert events[came.user_id].source == "workshop"
    assert events[came.user_id].subject == f"community.workshop:{workshop.public_id}"
    # A counted mark is final; a late mark of the unmarked person counts at once.
    with pytest.raises(Conflict, match="already counts"):
        attendance.attendance_mark(
            registration=came, actor=moderator, attendance="no_show", now=workshop.ends_at
        )
    attendance.attendance_mark(
        registration=unmarked,
        actor=moderator,
        attendance="attended",
        now=workshop.ends_at + timedelta(hours=1),
    )
    assert ReputationEvent.objects.filter(user_id=unmarked.user_id, positive=True).count() == 1
    # Hosts see each person's no-shows.
    counts = {row.user_id: row.no_shows for row in attendees(workshop=workshop)}
    assert counts == {came.user_id: 0, stayed_away.user_id: 1, unmarked.user_id: 0}


@pytest.mark.parametrize(
    ("case", "error", "words"),
    [
        # more than an hour before the start
        ("early", InvalidInput, "Check-in opens"),
        # a week after the end
        ("late", InvalidInput, "could be changed until"),
        # someone who is only waiting
        ("waitlisted", Conflict, "confirmed seat"),
        # not a host
        ("stranger", Forbidden, "hosts and moderators"),
        # an unknown mark
        ("bogus", InvalidInput, "attended, no_show or unmarked"),
        # a cancelled workshop
        ("cancelled", Conflict, "cancelled workshop has no check-in"),
    ],
)
def test_check_in_refusals(
    make_workshop: Any,
    members: Any,
    moderator: Any,
    case: str,
    error: type[DomainError],
    words: str,
) -> None:
    workshop = make_workshop(capacity=1)
    first, second, stranger = members(3)
    seat = registrations.registration_create(workshop=workshop, user=first, now=T0).registration
    waiting = registrations.registration_create(workshop=workshop, user=second, now=T0).registration
    target, actor, mark, now = seat, moderator, "attended", workshop.starts_at
    if case == "early":
        now = workshop.starts_at - timedelta(minutes=61)
    elif case == "late":
        now = workshop.ends_at + timedelta(days=7, minutes=1)
    elif case == "waitlisted":
        target = waiting
    elif case == "stranger":
        actor = stranger
    elif case == "bogus":
        mark = "present"
    elif case == "cancelled":
        workshops.workshop_cancel(workshop=workshop, actor=moderator, message="Off", now=T0)
    with pytest.raises(error, match=words):
        attendance.attendance_mark(registration=target, actor=actor, attendance=mark, now=now)
    assert Registration.objects.get(pk=target.pk).attendance == Attendance.UNMARKED


def test_ended_workshops_cannot_be_cancelled(make_workshop: Any, moderator: Any) -> None:
    workshop = make_workshop()
    with pytest.raises(Conflict, match="has ended"):
        workshops.workshop_cancel(
            workshop=workshop, actor=moderator, message="late", now=workshop.ends_at
        )


def test_renaming_a_workshop_renames_its_room(make_workshop: Any, moderator: Any) -> None:
    workshop = make_workshop()
    room = chat.room_open_for_workshop(workshop=workshop)
    workshops.workshop_update(workshop=workshop, actor=moderator, title="Renamed", now=T0)
    room.refresh_from_db()
    assert room.title == "Renamed"
