"""Registering, the waitlist and its offers, through the services (one clock: `now=`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from community.models import Registration, WorkshopLog
from community.models.workshops import Audience, RegistrationStatus
from community.selectors import waitlist_position
from community.services import registrations, workshops
from core.errors import Conflict, DomainError, Forbidden, InvalidInput
from reputation.models import ReputationScore
from tests.community.conftest import T0, reload

pytestmark = pytest.mark.django_db


def register(workshop: Any, person: Any, now: Any = T0) -> Registration:
    return registrations.registration_create(workshop=workshop, user=person, now=now).registration


def test_confirmed_while_seats_remain_then_waitlisted_in_arrival_order(
    make_workshop: Any, members: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=2)
    people = members(4)
    with django_capture_on_commit_callbacks(execute=True):
        states = [register(workshop, person) for person in people]
    assert [state.status for state in states] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert [waitlist_position(state) for state in states] == [None, None, 1, 2]
    workshop = reload(workshop)
    assert (workshop.confirmed_count, workshop.offered_count, workshop.waitlist_count) == (2, 0, 2)
    assert workshop.seats_left == 0
    # Each person was told by e-mail what they got.
    subjects = sorted(message.subject.split(":")[0] for message in mail.outbox)
    assert subjects == ["You are on the waitlist"] * 2 + ["Your seat is confirmed"] * 2
    assert WorkshopLog.objects.filter(workshop=workshop, action="register").count() == 4


def test_registering_twice_returns_the_existing_registration(
    make_workshop: Any, member: Any
) -> None:
    workshop = make_workshop()
    first = registrations.registration_create(workshop=workshop, user=member, now=T0)
    again = registrations.registration_create(workshop=workshop, user=member, now=T0)
    assert first.created
    assert not again.created
    assert again.registration.pk == first.registration.pk
    assert Registration.objects.count() == 1
    assert reload(workshop).confirmed_count == 1


def test_registering_again_after_leaving_goes_to_the_back_of_the_queue(
    make_workshop: Any, members: Any
) -> None:
    workshop = make_workshop(capacity=1)
    seated, first, second = members(3)
    register(workshop, seated)
    mine = register(workshop, first)
    register(workshop, second)
    registrations.registration_cancel(registration=mine, user=first, now=T0)
    back = register(workshop, first)
    assert back.pk == mine.pk  # the same row, a new place
    assert waitlist_position(back) == 2
    assert waitlist_position(Registration.objects.get(user=second)) == 1


@pytest.mark.parametrize(
    ("setup", "now_offset", "error", "words"),
    [
        # registration opens later than now
        ({"registration_opens_at": T0 + timedelta(days=2)}, timedelta(0), InvalidInput, "opens at"),
        # its window already closed
        (
            {"registration_closes_at": T0 + timedelta(days=1)},
            timedelta(days=2),
            InvalidInput,
            "closed at",
        ),
        # the workshop has started
        ({}, timedelta(days=10, minutes=1), InvalidInput, "has started"),
        # a draft is not open
        ({"publish": False}, timedelta(0), InvalidInput, "not open yet"),
        # verified members only
        (
            {"audience": Audience.VERIFIED, "_unverified": True},
            timedelta(0),
            Forbidden,
            "verify your identity",
        ),
        # a minimum level the person lacks
        (
            {"audience": Audience.LEVEL, "min_level": 3},
            timedelta(0),
            Forbidden,
            "level 3; you are at level 1",
        ),
    ],
)
def test_refusals_say_why_and_write_nothing(
    make_workshop: Any,
    member_factory: Any,
    setup: dict[str, Any],
    now_offset: timedelta,
    error: type[DomainError],
    words: str,
) -> None:
    setup = dict(setup)
    person = member_factory(verified=not setup.pop("_unverified", False))
    workshop = make_workshop(**setup)
    with pytest.raises(error) as raised:
        register(workshop, person, now=T0 + now_offset)
    assert words in raised.value.message.lower() or words in raised.value.message
    assert Registration.objects.count() == 0
    assert reload(workshop).next_queue_number == 1


def test_a_level_gated_workshop_admits_the_level(make_workshop: Any, member: Any) -> None:
    workshop = make_workshop(audience=Audience.LEVEL, min_level=3)
    ReputationScore.objects.create(user=member, positive=60, total=61, score=0.9, level=3)
    assert register(workshop, member).status == RegistrationStatus.CONFIRMED


def test_hosts_do_not_register_for_their_own_workshop(make_workshop: Any, moderator: Any) -> None:
    workshop = make_workshop(host=moderator)
    with pytest.raises(InvalidInput, match="You host"):
        register(workshop, moderator)


def test_a_freed_seat_is_offered_to_the_first_in_line_who_accepts(
    make_workshop: Any, members: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=1)
    seated, first, second = members(3)
    seat = register(workshop, seated)
    register(workshop, first)
    register(workshop, second)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration=seat, user=seated, now=T0)
    offer = Registration.objects.get(user=first)
    assert offer.status == RegistrationStatus.OFFERED
    assert offer.offer_expires_at == T0 + timedelta(hours=24)
    assert waitlist_position(Registration.objects.get(user=second)) == 1
    [message] = mail.outbox
    assert message.to == [first.email]
    assert "accept by" in message.body
    workshop = reload(workshop)
    # The offer holds the seat: nobody new can take it meanwhile.
    assert (workshop.confirmed_count, workshop.offered_count, workshop.waitlist_count) == (0, 1, 1)
    assert workshop.seats_left == 0

    accepted = registrations.offer_accept(
        registration=offer, user=first, now=T0 + timedelta(hours=1)
    )
    assert accepted.status == RegistrationStatus.CONFIRMED
    again = registrations.offer_accept(registration=offer, user=first, now=T0 + timedelta(hours=2))
    assert again.status == RegistrationStatus.CONFIRMED
    workshop = reload(workshop)
    assert (workshop.confirmed_count, workshop.offered_count, workshop.waitlist_count) == (1, 0, 1)


def test_newcomers_wait_behind_an_open_offer(make_workshop: Any, members: Any) -> None:
    workshop = make_workshop(capacity=1)
    seated, first, late = members(3)
    seat = register(workshop, seated)
    register(workshop, first)
    registrations.registration_cancel(registration=seat, user=seated, now=T0)
    assert register(workshop, late).status == RegistrationStatus.WAITLISTED


def test_declining_passes_the_seat_on(make_workshop: Any, members: Any) -> None:
    workshop = make_workshop(capacity=1)
    seated, first, second = members(3)
    seat = register(workshop, seated)
    register(workshop, first)
    register(workshop, second)
    registrations.registration_cancel(registration=seat, user=seated, now=T0)
    declined = registrations.offer_decline(
        registration=Registration.objects.get(user=first), user=first, now=T0
    )
    assert declined.status == RegistrationStatus.DECLINED
    assert Registration.objects.get(user=second).status == RegistrationStatus.OFFERED


def test_a_lapsed_offer_passes_on_once_and_cannot_be_accepted(
    make_workshop: Any, members: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=1)
    seated, first, second = members(3)
    seat = register(workshop, seated)
    register(workshop, first)
    register(workshop, second)
    registrations.registration_cancel(registration=seat, user=seated, now=T0)
    offer = Registration.objects.get(user=first)
    assert registrations.offers_expire(now=T0 + timedelta(hours=23)) == 0
    with pytest.raises(Conflict, match="lapsed"):
        registrations.offer_accept(registration=offer, user=first, now=T0 + timedelta(hours=25))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert registrations.offers_expire(now=T0 + timedelta(hours=25)) == 1
    assert registrations.offers_expire(now=T0 + timedelta(hours=25)) == 0  # idempotent
    assert Registration.objects.get(user=first).status == RegistrationStatus.EXPIRED
    assert Registration.objects.get(user=second).status == RegistrationStatus.OFFERED
    assert sorted(message.to[0] for message in mail.outbox) == sorted([first.email, second.email])
    workshop = reload(workshop)
    assert (workshop.confirmed_count, workshop.offered_count, workshop.waitlist_count) == (0, 1, 0)


@pytest.mark.parametrize(
    ("starts_in", "freed_after", "deadline_after_freeing"),
    [
        # far from the start: the full 24 hours
        (timedelta(days=10), timedelta(0), timedelta(hours=24)),
        # 10 hours before: until an hour before the start
        (timedelta(hours=10), timedelta(0), timedelta(hours=9)),
        # 40 minutes before: the 15-minute minimum
        (timedelta(hours=10), timedelta(hours=9, minutes=20), timedelta(minutes=15)),
        # 10 minutes before: until the start, never after it
        (timedelta(hours=10), timedelta(hours=9, minutes=50), timedelta(minutes=10)),
    ],
)
def test_offers_are_shortened_close_to_the_start(
    make_workshop: Any,
    members: Any,
    starts_in: timedelta,
    freed_after: timedelta,
    deadline_after_freeing: timedelta,
) -> None:
    workshop = make_workshop(capacity=1, starts_in=starts_in)
    seated, first = members(2)
    seat = register(workshop, seated)
    register(workshop, first)
    registrations.registration_cancel(registration=seat, user=seated, now=T0 + freed_after)
    offer = Registration.objects.get(user=first)
    assert offer.offer_expires_at == T0 + freed_after + deadline_after_freeing


@pytest.mark.parametrize(
    ("action", "error", "words"),
    [
        # someone else's registration
        ("leave_other", Forbidden, "not your registration"),
        # leaving after the start
        ("leave_late", InvalidInput, "has started"),
        # accepting without an offer
        ("accept_without_offer", Conflict, "no open offer"),
        # declining without an offer
        ("decline_without_offer", Conflict, "no open offer"),
        # leaving twice
        ("leave_twice", Conflict, "not registered"),
    ],
)
def test_registration_changes_that_are_refused(
    make_workshop: Any, members: Any, action: str, error: type[DomainError], words: str
) -> None:
    workshop = make_workshop(capacity=5)
    owner, other = members(2)
    mine = register(workshop, owner)
    if action == "accept_without_offer":
        waiting = register(workshop, other)
        registrations.registration_cancel(registration=waiting, user=other, now=T0)
    if action == "leave_twice":
        registrations.registration_cancel(registration=mine, user=owner, now=T0)
    before = reload(workshop).confirmed_count
    attempts = {
        "leave_other": lambda: registrations.registration_cancel(
            registration=mine, user=other, now=T0
        ),
        "leave_late": lambda: registrations.registration_cancel(
            registration=mine, user=owner, now=T0 + timedelta(days=10, minutes=5)
        ),
        "accept_without_offer": lambda: registrations.offer_accept(
            registration=Registration.objects.get(user=other), user=other, now=T0
        ),
        "decline_without_offer": lambda: registrations.offer_decline(
            registration=mine, user=owner, now=T0
        ),
        "leave_twice": lambda: registrations.registration_cancel(
            registration=mine, user=owner, now=T0
        ),
    }
    with pytest.raises(error, match=words):
        attempts[action]()
    assert reload(workshop).confirmed_count == before


def test_raising_capacity_offers_the_new_seats_in_order(
    make_workshop: Any, members: Any, moderator: Any
) -> None:
    workshop = make_workshop(capacity=1)
    people = members(4)
    for person in people:
        register(workshop, person)
    workshops.workshop_update(workshop=workshop, actor=moderator, capacity=3, now=T0)
    statuses = [Registration.objects.get(user=person).status for person in people]
    assert statuses == ["confirmed", "offered", "offered", "waitlisted"]


def test_capacity_below_the_seats_held_is_refused_and_nobody_dropped(
    make_workshop: Any, members: Any, moderator: Any
) -> None:
    workshop = make_workshop(capacity=3)
    for person in members(3):
        register(workshop, person)
    with pytest.raises(InvalidInput) as raised:
        workshops.workshop_update(workshop=workshop, actor=moderator, capacity=2, now=T0)
    assert raised.value.field == "capacity"
    assert "3 people hold seats" in raised.value.message
    workshop = reload(workshop)
    assert (workshop.capacity, workshop.confirmed_count) == (3, 3)
    assert Registration.objects.filter(status=RegistrationStatus.CONFIRMED).count() == 3


def test_cancelled_workshop_keeps_registrations_and_refuses_changes(
    make_workshop: Any, members: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=1)
    seated, waiting = members(2)
    seat = register(workshop, seated)
    register(workshop, waiting)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workshops.workshop_cancel(
            workshop=workshop, actor=moderator, message="The speaker is ill.", now=T0
        )
    assert sorted(message.to[0] for message in mail.outbox) == sorted([seated.email, waiting.email])
    assert all("The speaker is ill." in message.body for message in mail.outbox)
    assert Registration.objects.get(pk=seat.pk).status == RegistrationStatus.CONFIRMED
    with pytest.raises(InvalidInput, match="cancelled"):
        registrations.registration_cancel(registration=seat, user=seated, now=T0)
    assert reload(workshop).sequence == 1
