"""Seats, the waitlist and its offers.

Every change takes the workshop's row lock first, so all seat changes of one workshop are
serialised and the counters on its row are exact: capacity holds under any concurrency
(on SQLite the IMMEDIATE transaction serialises writers the same way). Arrival order is
the `queue_number` each registration takes under that lock. On PostgreSQL a first
registration does lock, insert, count and audit in one statement (`community.statements`).

A seat that frees (a confirmed person leaves, an offer is declined or lapses, the capacity
grows) is offered to the first waitlisted person. The offer holds the seat until it is
accepted, declined, or lapses at its deadline; the periodic `offers_expire` sweep passes a
lapsed seat on. Nobody jumps the queue: a newcomer is confirmed only while nobody waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from community import selectors, statements
from community.models import Registration, Workshop
from community.models.workshops import Audience, RegistrationStatus, WorkshopStatus
from community.services.common import (
    COUNTERS,
    announce,
    lock_registration,
    lock_workshop,
    log,
    utc_text,
)
from core.errors import Conflict, Forbidden, InvalidInput
from reputation.selectors.standing import user_level

if TYPE_CHECKING:
    from accounts.models import User

COUNTER_OF = {
    RegistrationStatus.CONFIRMED: "confirmed_count",
    RegistrationStatus.OFFERED: "offered_count",
    RegistrationStatus.WAITLISTED: "waitlist_count",
}


# On PostgreSQL a first registration runs as one statement (see `community.statements`);
# switched off, every registration takes the ORM path, as on SQLite.
ONE_STATEMENT = True


def one_statement() -> bool:
    return ONE_STATEMENT and connection.vendor == "postgresql"


@dataclass(frozen=True)
class Registered:
    registration: Registration
    created: bool


def offer_deadline(*, workshop: Workshop, now: datetime) -> datetime:
    """`WORKSHOP_OFFER_HOURS` from now, but ending before the start when that is closer,
    and never less than the minimum window (nor after the start)."""
    full = now + timedelta(hours=settings.WORKSHOP_OFFER_HOURS)
    before_start = workshop.starts_at - timedelta(
        minutes=settings.WORKSHOP_OFFER_CLOSES_BEFORE_START_MINUTES
    )
    floor = min(now + timedelta(minutes=settings.WORKSHOP_OFFER_MIN_MINUTES), workshop.starts_at)
    return max(min(full, before_start), floor)


def _guard_open(workshop: Workshop, now: datetime) -> None:
    if workshop.status != WorkshopStatus.PUBLISHED:
        state = "is not open yet" if workshop.status == WorkshopStatus.DRAFT else workshop.status
        raise InvalidInput(f"Registration is closed: the workshop {state}.")
    if now >= workshop.starts_at:
        raise InvalidInput("Registration is closed: the workshop has started.")
    if workshop.registration_opens_at and now < workshop.registration_opens_at:
        raise InvalidInput(f"Registration opens at {utc_text(workshop.registration_opens_at)}.")
    if workshop.registration_closes_at and now >= workshop.registration_closes_at:
        raise InvalidInput(f"Registration closed at {utc_text(workshop.registration_closes_at)}.")


def _save_counters(workshop: Workshop) -> None:
    workshop.save(update_fields=COUNTERS)


def _vacate(workshop: Workshop, registration: Registration, *, to: str, now: datetime) -> str:
    """Take `registration` off its seat, offer or waitlist place; returns where it was."""
    previous = registration.status
    counter = COUNTER_OF[RegistrationStatus(previous)]
    setattr(workshop, counter, getattr(workshop, counter) - 1)
    registration.status = to
    registration.left_at = now
    registration.offer_expires_at = None
    registration.save(update_fields=["status", "left_at", "offer_expires_at", "updated_at"])
    return previous


def waitlist_promote(
    *, workshop: Workshop, now: datetime, actor: User | None = None
) -> list[Registration]:
    """Offer every free seat to the next waitlisted people, in arrival order.

    Runs inside the caller's transaction, with `workshop` locked; the caller saves the
    counters. No offers once the workshop has started or is not published.
    """
    if workshop.status != WorkshopStatus.PUBLISHED or now >= workshop.starts_at:
        return []
    free = workshop.capacity - workshop.confirmed_count - workshop.offered_count
    if free <= 0 or workshop.waitlist_count == 0:
        return []
    chosen = list(
        Registration.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(workshop=workshop, status=RegistrationStatus.WAITLISTED)
        .order_by("queue_number")[:free]
    )
    deadline = offer_deadline(workshop=workshop, now=now)
    for registration in chosen:
        registration.status = RegistrationStatus.OFFERED
        registration.offered_at = now
        registration.offer_expires_at = deadline
        registration.save(update_fields=["status", "offered_at", "offer_expires_at", "updated_at"])
        workshop.waitlist_count -= 1
        workshop.offered_count += 1
        log(
            workshop=workshop,
            action="offer_made",
            actor=actor,
            registration=registration,
            expires_at=deadline.isoformat(),
        )
        announce(registration, "offered")
    return chosen


def registration_create(
    *, workshop: Workshop, user: User, now: datetime | None = None
) -> Registered:
    """Confirmed while seats remain (and nobody waits), otherwise waitlisted.

    Registering again while registered returns the registration as it is (`created`
    False). After leaving, registering again goes to the back of the queue.
    """
    now = now or timezone.now()
    level = user_level(user=user) if workshop.audience == Audience.LEVEL else None
    if one_statement():
        registration = statements.register(workshop=workshop, user=user, level=level or 1, now=now)
        if registration is not None:
            announce(registration, registration.status)
            return Registered(registration, created=True)
    # Checks of the person, not of the seats, happen before the lock, so the time the
    # workshop's row is held is only what the seats need.
    existing = Registration.objects.filter(workshop=workshop, user=user).first()
    if existing is not None and existing.is_active:
        return Registered(existing, created=False)
    if selectors.is_host(user, workshop):
        raise InvalidInput("You host this workshop: your place is kept without registering.")
    try:
        with transaction.atomic(durable=True):
            locked = lock_workshop(workshop.pk)
            if existing is not None:
                existing = lock_registration(existing.pk)
                if existing.is_active:
                    return Registered(existing, created=False)
            _guard_open(locked, now)
            refusal = selectors.registration_refusal(user, locked, level=level)
            if refusal:
                raise Forbidden(refusal)
            registration = _take_place(locked, user, existing, now)
    except IntegrityError:
        # The same person registering twice at once: the other request's row stands.
        winner = Registration.objects.filter(workshop=workshop, user=user).first()
        if winner is None:
            raise
        return Registered(winner, created=False)
    return Registered(registration, created=True)


def _take_place(
    workshop: Workshop, user: User, existing: Registration | None, now: datetime
) -> Registration:
    """A seat while seats remain and nobody waits, else the back of the waitlist."""
    taken = workshop.confirmed_count + workshop.offered_count
    confirmed = taken < workshop.capacity and workshop.waitlist_count == 0
    status = RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED
    fields = {
        "status": status,
        "queue_number": workshop.next_queue_number,
        "confirmed_at": now if confirmed else None,
        "offered_at": None,
        "offer_expires_at": None,
        "left_at": None,
    }
    if existing is None:
        registration = Registration(workshop=workshop, user=user, **fields)
        registration.save(force_insert=True)
    else:
        registration = existing
        for name, value in fields.items():
            setattr(registration, name, value)
        registration.save(update_fields=[*fields, "updated_at"])
    counter = COUNTER_OF[status]
    setattr(workshop, counter, getattr(workshop, counter) + 1)
    workshop.next_queue_number += 1
    workshop.save(update_fields=[counter, "next_queue_number"])
    log(workshop=workshop, action="register", actor=user, registration=registration, status=status)
    announce(registration, status)
    return registration


def registration_cancel(
    *, registration: Registration, user: User, now: datetime | None = None
) -> Registration:
    """Leave a workshop (a seat, the waitlist or an open offer) until it starts; a freed
    seat is offered to the next person at once."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_workshop(registration.workshop_id)
        current = lock_registration(registration.pk)
        if current.user_id != user.pk:
            raise Forbidden("This is not your registration.")
        if not current.is_active:
            raise Conflict("You are not registered for this workshop.")
        if locked.status != WorkshopStatus.PUBLISHED:
            raise InvalidInput(f"The workshop is {locked.status}; there is nothing to leave.")
        if now >= locked.starts_at:
            raise InvalidInput("The workshop has started; you can no longer leave it.")
        previous = _vacate(locked, current, to=RegistrationStatus.CANCELLED, now=now)
        log(workshop=locked, action="leave", actor=user, registration=current, was=previous)
        waitlist_promote(workshop=locked, now=now)
        _save_counters(locked)
        announce(current, "left")
    return current


def offer_accept(
    *, registration: Registration, user: User, now: datetime | None = None
) -> Registration:
    """Take the offered seat. Accepting again returns the confirmed registration."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_workshop(registration.workshop_id)
        current = lock_registration(registration.pk)
        if current.user_id != user.pk:
            raise Forbidden("This is not your registration.")
        if current.status == RegistrationStatus.CONFIRMED:
            return current
        if current.status != RegistrationStatus.OFFERED or current.offer_expires_at is None:
            raise Conflict("You have no open offer for this workshop.")
        if locked.status != WorkshopStatus.PUBLISHED:
            raise Conflict(f"The workshop is {locked.status}.")
        if now >= current.offer_expires_at:
            raise Conflict(
                f"Your offer lapsed at {utc_text(current.offer_expires_at)}; "
                "the seat passes to the next person."
            )
        current.status = RegistrationStatus.CONFIRMED
        current.confirmed_at = now
        current.offer_expires_at = None
        current.save(update_fields=["status", "confirmed_at", "offer_expires_at", "updated_at"])
        locked.offered_count -= 1
        locked.confirmed_count += 1
        _save_counters(locked)
        log(workshop=locked, action="offer_accept", actor=user, registration=current)
        announce(current, RegistrationStatus.CONFIRMED)
    return current


def offer_decline(
    *, registration: Registration, user: User, now: datetime | None = None
) -> Registration:
    """Turn the offered seat down; it goes to the next person on the waitlist."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_workshop(registration.workshop_id)
        current = lock_registration(registration.pk)
        if current.user_id != user.pk:
            raise Forbidden("This is not your registration.")
        if current.status != RegistrationStatus.OFFERED:
            raise Conflict("You have no open offer for this workshop.")
        _vacate(locked, current, to=RegistrationStatus.DECLINED, now=now)
        log(workshop=locked, action="offer_decline", actor=user, registration=current)
        waitlist_promote(workshop=locked, now=now)
        _save_counters(locked)
        announce(current, "declined")
    return current


def offers_expire(*, now: datetime | None = None) -> int:
    """Lapse every offer past its deadline and pass each seat on; returns how many lapsed.

    Idempotent: each workshop is re-read under its lock, so two sweeps at once (or a sweep
    racing an accept) lapse an offer at most once, and never one that was accepted.
    """
    now = now or timezone.now()
    workshop_ids = set(
        Registration.objects.filter(
            status=RegistrationStatus.OFFERED, offer_expires_at__lte=now
        ).values_list("workshop_id", flat=True)
    )
    return sum(_expire_offers_of(workshop_id, now) for workshop_id in sorted(workshop_ids))


def _expire_offers_of(workshop_id: int, now: datetime) -> int:
    with transaction.atomic(durable=True):
        locked = lock_workshop(workshop_id)
        lapsed = list(
            Registration.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(workshop=locked, status=RegistrationStatus.OFFERED, offer_expires_at__lte=now)
            .order_by("queue_number")
        )
        live = locked.status == WorkshopStatus.PUBLISHED
        for registration in lapsed:
            _vacate(locked, registration, to=RegistrationStatus.EXPIRED, now=now)
            log(workshop=locked, action="offer_lapse", registration=registration)
            if live:
                announce(registration, RegistrationStatus.EXPIRED)
        waitlist_promote(workshop=locked, now=now)
        _save_counters(locked)
    return len(lapsed)
