"""What the workshop services share: row locks, the audit row, telling people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from accounts.services.sockets import notify_topic
from community import selectors
from community.models import Registration, Workshop, WorkshopLog
from core.jobs import enqueue_on_commit

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


def announce(registration: Registration, kind: str) -> None:
    """Once the change commits, a job tells the person (page and, for some kinds, e-mail)
    and the workshop's open pages (see `community.services.announcements`)."""
    enqueue_on_commit("community.tasks.announce_registration", registration.pk, kind)


def announce_workshop(workshop: Workshop, kind: str) -> None:
    """Once the change commits, a job tells everyone registered (`cancelled`, `changed`)."""
    enqueue_on_commit("community.tasks.announce_workshop", workshop.pk, kind)
