"""Telling people about a change once it committed: their open pages (socket), the
workshop's open pages (seat counts) and, for news that matters, e-mail.

The services enqueue one job per change (`common.announce`) instead of sending from the
request: under a rush of registrations the request stays short, and a worker fans out.
A job may run late or twice, so each first checks that its news is still true, and seat
counts are read when the job runs, so a late job sends the current ones.
"""

from __future__ import annotations

from django.core.mail import get_connection

from accounts.services import notify_topic, notify_user
from community import selectors
from community.models import ACTIVE_STATUSES, Registration, Workshop
from community.services.common import utc_text
from community.services.mail import MAILED, STILL_TRUE, message_for


def _text(kind: str, registration: Registration, workshop: Workshop) -> str:
    title = workshop.title
    if kind == "confirmed":
        return f"Your seat at {title} is confirmed."
    if kind == "waitlisted":
        position = selectors.waitlist_position(registration)
        return (
            f"{title} is full: you are number {position} on the waitlist. "
            "We will offer you a seat when one frees up."
        )
    if kind == "offered":
        assert registration.offer_expires_at is not None
        return (
            f"A seat freed up in {title}: accept it by {utc_text(registration.offer_expires_at)}."
        )
    if kind == "expired":
        return f"Your offer for {title} lapsed; the seat passed on."
    if kind == "left":
        return f"You left {title}."
    if kind == "declined":
        return f"You declined the seat at {title}."
    raise ValueError(f"unknown registration news {kind!r}")


def event_for(registration: Registration, workshop: Workshop, message: str) -> dict[str, object]:
    return {
        "type": "workshop.registration",
        "workshop": str(workshop.public_id),
        "title": workshop.title,
        "status": registration.status,
        "offer_expires_at": registration.offer_expires_at.isoformat()
        if registration.offer_expires_at and registration.status == "offered"
        else None,
        "message": message,
    }


def registration_announce(*, registration_id: int, kind: str) -> bool:
    """A person's registration changed (`kind`): their pages, the seat counts, the mail.
    False when the news is stale (the registration moved on since)."""
    registration = (
        Registration.objects.select_related("user__profile", "workshop")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        return False
    workshop = registration.workshop
    notify_topic(topic=workshop.topic, event=selectors.seats(workshop))
    if registration.status != STILL_TRUE[kind]:
        return False
    notify_user(
        user=registration.user,
        event=event_for(registration, workshop, _text(kind, registration, workshop)),
    )
    if kind in MAILED:
        message_for(kind, workshop, registration).send()
    return True


def workshop_announce(*, workshop_id: int, kind: str) -> int:
    """The workshop was cancelled or changed: everyone registered hears it on their open
    pages and by e-mail. Returns how many people were told."""
    workshop = Workshop.objects.get(pk=workshop_id)
    registrations = list(
        Registration.objects.filter(workshop=workshop, status__in=ACTIVE_STATUSES).select_related(
            "user__profile"
        )
    )
    what = (
        f"{workshop.title} was cancelled: {workshop.cancel_message}"
        if kind == "cancelled"
        else f"The hosts changed the time or place of {workshop.title}."
    )
    for registration in registrations:
        notify_user(user=registration.user, event=event_for(registration, workshop, what))
    messages = [message_for(kind, workshop, registration) for registration in registrations]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(registrations)
