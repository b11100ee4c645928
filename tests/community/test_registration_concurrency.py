"""Real threads, each with its own PostgreSQL connection, racing for seats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from community.models import Registration
from community.models.workshops import RegistrationStatus
from community.selectors import waitlist_position
from community.services import registrations
from tests.community.conftest import T0, reload
from tests.community.helpers import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.fixture(params=["one statement", "orm"])
def registration_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a registration is written on PostgreSQL: the one-statement hot path and
    the ORM path it falls back to (which SQLite always takes)."""
    monkeypatch.setattr(registrations, "ONE_STATEMENT", request.param == "one statement")
    return str(request.param)


def status_of(person: Any) -> str:
    return str(Registration.objects.get(user=person).status)


def test_50_threads_for_10_seats_then_offers_pass_on_in_order(
    postgres: None, registration_path: str, make_workshop: Any, members: Any
) -> None:
    workshop = make_workshop(capacity=10)
    people = members(50)
    results, errors = race(
        people,
        lambda person: registrations.registration_create(workshop=workshop, user=person, now=T0),
    )
    assert errors == []
    assert len(results) == 50
    assert all(result.created for result in results)

    confirmed = Registration.objects.filter(status=RegistrationStatus.CONFIRMED)
    waiting = list(
        Registration.objects.filter(status=RegistrationStatus.WAITLISTED).order_by("queue_number")
    )
    assert confirmed.count() == 10
    assert len(waiting) == 40
    assert [waitlist_position(registration) for registration in waiting] == list(range(1, 41))
    # Arrival order is one gap-free sequence over all 50.
    numbers = sorted(Registration.objects.values_list("queue_number", flat=True))
    assert numbers == list(range(1, 51))
    workshop = reload(workshop)
    assert (workshop.confirmed_count, workshop.offered_count, workshop.waitlist_count) == (
        10,
        0,
        40,
    )

    # Three seated people leave at once: the first three in line get offers.
    leavers = [registration.user for registration in confirmed[:3]]
    results, errors = race(
        leavers,
        lambda person: registrations.registration_cancel(
            registration=Registration.objects.get(user=person),
            user=person,
            now=T0 + timedelta(minutes=1),
        ),
    )
    assert errors == []
    first, second, third, fourth, fifth = (registration.user for registration in waiting[:5])
    assert [status_of(person) for person in (first, second, third, fourth)] == [
        "offered",
        "offered",
        "offered",
        "waitlisted",
    ]

    # The third accepts; the first declines an hour later, so the fourth is offered.
    registrations.offer_accept(
        registration=Registration.objects.get(user=third),
        user=third,
        now=T0 + timedelta(minutes=30),
    )
    registrations.offer_decline(
        registration=Registration.objects.get(user=first), user=first, now=T0 + timedelta(hours=1)
    )
    assert status_of(fourth) == "offered"
    assert status_of(fifth) == "waitlisted"

    # The second lets the offer lapse: 24 hours after it was made the sweep passes it on
    # to the fifth; the fourth's offer, made an hour later, is still open.
    assert registrations.offers_expire(now=T0 + timedelta(hours=24, minutes=2)) == 1
    assert [status_of(person) for person in (first, second, third, fourth, fifth)] == [
        "declined",
        "expired",
        "confirmed",
        "offered",
        "offered",
    ]
    remaining = Registration.objects.filter(status=RegistrationStatus.WAITLISTED).order_by(
        "queue_number"
    )
    assert [waitlist_position(registration) for registration in remaining] == list(range(1, 36))
    workshop = reload(workshop)
    assert (workshop.confirmed_count, workshop.offered_count, workshop.waitlist_count) == (8, 2, 35)


def test_leaving_and_joining_at_once_never_oversells(
    postgres: None, registration_path: str, make_workshop: Any, members: Any
) -> None:
    workshop = make_workshop(capacity=5)
    seated = members(5)
    for person in seated:
        registrations.registration_create(workshop=workshop, user=person, now=T0)
    newcomers = members(15)

    def work(person: Any) -> None:
        if person in seated:
            registrations.registration_cancel(
                registration=Registration.objects.get(user=person), user=person, now=T0
            )
        else:
            registrations.registration_create(workshop=workshop, user=person, now=T0)

    _results, errors = race(seated + newcomers, work)
    assert errors == []
    workshop = reload(workshop)
    held = Registration.objects.filter(
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED]
    ).count()
    assert held == workshop.confirmed_count + workshop.offered_count <= workshop.capacity
    assert (
        workshop.waitlist_count
        == Registration.objects.filter(status=RegistrationStatus.WAITLISTED).count()
    )
    # Every freed seat went somewhere: nobody waits while a seat is free.
    assert held == 5 or workshop.waitlist_count == 0


def test_two_sweeps_at_once_lapse_each_offer_once(
    postgres: None, make_workshop: Any, members: Any
) -> None:
    workshop = make_workshop(capacity=2)
    seated = members(2)
    line = members(4)
    for person in seated + line:
        registrations.registration_create(workshop=workshop, user=person, now=T0)
    for person in seated:
        registrations.registration_cancel(
            registration=Registration.objects.get(user=person), user=person, now=T0
        )
    later = T0 + timedelta(hours=25)
    results, errors = race([later] * 4, lambda now: registrations.offers_expire(now=now))
    assert errors == []
    assert sum(results) == 2
    assert [status_of(person) for person in line] == ["expired", "expired", "offered", "offered"]
