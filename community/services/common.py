"""What the workshop services share: row locks, the audit row, telling people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from accounts.services import notify_topic, notify_user
from community import selectors
from community.models import Registration, Workshop, WorkshopLog

if TYPE_CHECKING:
    from accounts.models import User

COUNTERS = ["confirmed_count", "offered_count", "waitlist_count"]


def lock_workshop(workshop_id: int) -> Workshop:
    return Workshop.objects.select_for_update().get(pk=workshop_id)


def lock_registration(registration_id: int) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=registration_id)
    )


def log(
    *,
    workshop: Workshop,
    action: str,
    actor: User | None = None,
    registration: Registration | None = None,
    **detail: Any,
) -> None:
    WorkshopLog.objects.create(
        workshop=workshop, registration=registration, actor=actor, action=action, detail=detail
    )


def utc_text(moment: datetime) -> str:
    """A moment for messages that reach people in any zone: always named as UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def broadcast_seats(workshop: Workshop) -> None:
    """Seats left and waitlist length to every open page of the workshop, on commit."""
    notify_topic(topic=workshop.topic, event=selectors.seats(workshop))


def tell(*, registration: Registration, workshop: Workshop, message: str) -> None:
    """The person's own registration changed: their open pages update, on commit."""
    notify_user(
        user=registration.user,
        event={
            "type": "workshop.registration",
            "workshop": str(workshop.public_id),
            "title": workshop.title,
            "status": registration.status,
            "offer_expires_at": registration.offer_expires_at.isoformat()
            if registration.offer_expires_at and registration.status == "offered"
            else None,
            "message": message,
        },
    )
