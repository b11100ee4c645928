"""Check-in marks, and how they become reputation.

Hosts mark a confirmed person attended or no-show from shortly before the start until a
few days after the end. Marks count in reputation once the workshop is finished (the
finish sweep counts every mark made until then; a mark made later counts at once) and are
final from then on: reputation events are immutable, so a counted mark cannot change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services.notifications import notification_send
from community import selectors
from community.models import Registration, Workshop
from community.models.workshops import Attendance, RegistrationStatus, WorkshopStatus
from community.services.common import lock_registration, lock_workshop, log, utc_text
from core.errors import Conflict, Forbidden, InvalidInput
from reputation.services.events import event_record

if TYPE_CHECKING:
    from accounts.models import User


def subject_of(workshop: Workshop) -> str:
    return f"community.workshop:{workshop.public_id}"


def attendance_mark(
    *,
    registration: Registration,
    actor: User,
    attendance: str,
    now: datetime | None = None,
) -> Registration:
    now = now or timezone.now()
    if attendance not in Attendance.values:
        raise InvalidInput(
            "Choose attended, no_show or unmarked.",
            field="attendance",
        )
    with transaction.atomic(durable=True):
        locked = lock_workshop(registration.workshop_id)
        if not selectors.may_manage(actor, locked):
            raise Forbidden("Only the workshop's hosts and moderators check people in.")
        current = lock_registration(registration.pk)
        if current.workshop_id != locked.pk:
            raise InvalidInput("This person is not registered for this workshop.")
        if locked.status not in (WorkshopStatus.PUBLISHED, WorkshopStatus.FINISHED):
            raise Conflict(f"A {locked.status} workshop has no check-in.")
        if current.status != RegistrationStatus.CONFIRMED:
            raise Conflict("Only people with a confirmed seat can be checked in.")
        opens = locked.starts_at - timedelta(minutes=settings.WORKSHOP_CHECKIN_OPENS_MINUTES)
        closes = locked.ends_at + timedelta(days=settings.WORKSHOP_ATTENDANCE_CLOSES_DAYS)
        if now < opens:
            raise InvalidInput(f"Check-in opens at {utc_text(opens)}.")
        if now > closes:
            raise InvalidInput(f"Attendance could be changed until {utc_text(closes)}.")
        if current.reputation_recorded_at is not None:
            raise Conflict("This attendance already counts in reputation and can no longer change.")
        if current.attendance == attendance:
            return current
        current.attendance = attendance
        current.attendance_marked_at = now
        current.attendance_marked_by = actor
        current.save(
            update_fields=[
                "attendance",
                "attendance_marked_at",
                "attendance_marked_by",
                "updated_at",
            ]
        )
        log(
            workshop=locked,
            action="attendance_mark",
            actor=actor,
            registration=current,
            attendance=attendance,
        )
        if locked.status == WorkshopStatus.FINISHED and attendance != Attendance.UNMARKED:
            _count(locked, current, now)
    return current


def attendance_count(*, workshop: Workshop, now: datetime) -> int:
    """Turn every uncounted mark of a finished workshop into a reputation event.

    Runs inside the caller's transaction with `workshop` locked; the flag on each row makes
    it count once however often it runs.
    """
    marked = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(
            workshop=workshop,
            status=RegistrationStatus.CONFIRMED,
            reputation_recorded_at__isnull=True,
        )
        .exclude(attendance=Attendance.UNMARKED)
        .order_by("pk")
    )
    counted = 0
    for registration in marked:
        _count(workshop, registration, now)
        counted += 1
    return counted


def _count(workshop: Workshop, registration: Registration, now: datetime) -> None:
    attended = registration.attendance == Attendance.ATTENDED
    event_record(
        user=registration.user,
        source="workshop",
        positive=attended,
        subject=subject_of(workshop),
        weight=settings.WORKSHOP_ATTENDANCE_WEIGHT
        if attended
        else settings.WORKSHOP_NO_SHOW_WEIGHT,
    )
    registration.reputation_recorded_at = now
    registration.save(update_fields=["reputation_recorded_at", "updated_at"])
    log(
        workshop=workshop,
        action="attendance_counted",
        registration=registration,
        attendance=registration.attendance,
    )
    text = (
        f"Your attendance at {workshop.title} counts in your reputation."
        if attended
        else f"You were marked absent from {workshop.title}."
    )
    notification_send(
        user=registration.user,
        kind="workshop.attendance",
        title=text,
        url=reverse("community:detail", args=[workshop.public_id]),
        event={
            "type": "workshop.attendance",
            "workshop": str(workshop.public_id),
            "attendance": registration.attendance,
            "message": text,
        },
    )
