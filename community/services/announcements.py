"""Telling people about a change once it committed: their open pages (socket), the
workshop's open pages (seat counts) and, for news that matters, e-mail.

The services enqueue one job per change (`common.announce`) instead of sending from the
request: under a rush of registrations the request stays short, and a worker fans out.
A job may run late or twice, so each first checks that its news is still true, and seat
counts are read when the job runs, so a late job sends the current ones.
"""

from __future__ import annotations

from django.core.mail import get_connection
from django.urls import reverse

from accounts.services.notifications import notification_send
from accounts.services.sockets import notify_topic, notify_user
from community import selectors
from community.models import Registration, Workshop
from community.models.workshops import ACTIVE_STATUSES
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
    event = event_for(registration, workshop, _text(kind, registration, workshop))
    if kind in KEPT:
        _keep(registration, workshop, kind, event)
    else:
        notify_user(user=registration.user, event=event)
    # The offer's mail is the notification's, sent per the person's settings.
    if kind in MAILED and kind != "offered":
        message_for(kind, workshop, registration).send()
    return True


# News the person did not cause is kept as a notification (accounts.notification_kinds);
# the answer to their own click (registered, left, declined) is only shown live.
KEPT = {"offered", "expired"}


def _keep(
    registration: Registration, workshop: Workshop, kind: str, event: dict[str, object]
) -> None:
    path = reverse("community:detail", args=[workshop.public_id])
    # The job may run twice: one notification per registration and piece of news.
    deadline = registration.offer_expires_at.isoformat() if registration.offer_expires_at else ""
    once = f"workshop.{kind}:{registration.pk}:{deadline or workshop.sequence}"
    if kind == "offered":
        assert registration.offer_expires_at is not None
        notification_send(
            user=registration.user,
            kind="workshop.offer",
            title=f"A seat freed up for you: {workshop.title}",
            body=f"It is yours if you accept by {utc_text(registration.offer_expires_at)}; "
            "after that it passes to the next person on the waitlist.",
            url=path,
            event=event,
            once_key=once,
        )
    elif kind == "cancelled":
        notification_send(
            user=registration.user,
            kind="workshop.cancelled",
            title=f"Cancelled: {workshop.title}",
            body=f"The hosts cancelled the workshop: {workshop.cancel_message}",
            url=path,
            event=event,
            once_key=once,
        )
    else:
        notification_send(
            user=registration.user,
            kind="workshop.registration",
            title=str(event["message"]),
            url=path,
            event=event,
            once_key=once,
        )


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
        _keep(registration, workshop, kind, event_for(registration, workshop, what))
    # A cancellation's mail is the notification's, sent per the person's settings.
    messages = [
        message_for(kind, workshop, registration)
        for registration in registrations
        if kind != "cancelled"
    ]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(registrations)
