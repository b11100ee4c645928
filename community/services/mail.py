"""The e-mails of the workshop journey (composed here, sent by the announcement jobs) and
the reminders sweep.

A job may run again (late acknowledgement), so each mail first checks that what it
announces is still true: an offer already answered, or a reminder for a seat given up,
is not sent.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from community.calendars import page_url
from community.models import Registration, Workshop
from community.models.workshops import RegistrationStatus, WorkshopStatus
from community.selectors import waitlist_position
from community.services.common import utc_text
from core.jobs import enqueue_on_commit

MAIL_JOB = "community.tasks.mail_registration"
REMINDER_BATCH = 500

# The registration status each kind announces; news that is stale is dropped.
STILL_TRUE = {
    "confirmed": RegistrationStatus.CONFIRMED,
    "waitlisted": RegistrationStatus.WAITLISTED,
    "offered": RegistrationStatus.OFFERED,
    "expired": RegistrationStatus.EXPIRED,
    "left": RegistrationStatus.CANCELLED,
    "declined": RegistrationStatus.DECLINED,
    "reminder_24h": RegistrationStatus.CONFIRMED,
    "reminder_1h": RegistrationStatus.CONFIRMED,
}
# The kinds that are also e-mailed (leaving and declining were the person's own doing).
MAILED = {"confirmed", "waitlisted", "offered", "expired", "reminder_24h", "reminder_1h"}
SUBJECTS = {
    "confirmed": "Your seat is confirmed: {title}",
    "waitlisted": "You are on the waitlist: {title}",
    "offered": "A seat is yours if you want it: {title}",
    "expired": "Your offer lapsed: {title}",
    "reminder_24h": "Tomorrow: {title}",
    "reminder_1h": "Starting within the hour: {title}",
    "cancelled": "Cancelled: {title}",
    "changed": "New time or place: {title}",
}


def _paragraphs(kind: str, workshop: Workshop, registration: Registration) -> list[str]:
    if kind == "confirmed":
        return ["Your seat is confirmed. See you there."]
    if kind == "waitlisted":
        position = waitlist_position(registration)
        return [
            f"The workshop is full, so you are number {position} on the waitlist.",
            "When a seat frees up it is offered to the next person in line, by e-mail and "
            "on the site, with a deadline to accept.",
        ]
    if kind == "offered":
        deadline = registration.offer_expires_at
        assert deadline is not None
        return [
            f"A seat freed up and it is yours if you want it: accept by {utc_text(deadline)}.",
            "After that it passes to the next person on the waitlist.",
        ]
    if kind == "expired":
        return [
            "Your offer lapsed and the seat passed to the next person.",
            "You can register again to join the back of the waitlist.",
        ]
    if kind == "reminder_24h":
        return ["A reminder: the workshop starts in about 24 hours."]
    if kind == "reminder_1h":
        return ["A reminder: the workshop starts within the hour."]
    if kind == "cancelled":
        return [f"The hosts cancelled the workshop: {workshop.cancel_message}"]
    if kind == "changed":
        return [
            "The hosts changed the time or the place. A subscribed calendar updates by "
            "itself; the new details are below."
        ]
    raise ValueError(f"unknown workshop mail {kind!r}")


def message_for(kind: str, workshop: Workshop, registration: Registration) -> EmailMessage:
    zone = zoneinfo.ZoneInfo(workshop.timezone)
    local = timezone.localtime(workshop.starts_at, zone)
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    live = workshop.status != WorkshopStatus.CANCELLED
    context: dict[str, Any] = {
        "name": getattr(getattr(registration.user, "profile", None), "display_name", ""),
        "paragraphs": _paragraphs(kind, workshop, registration),
        "workshop": workshop,
        "when_utc": f"{utc_text(workshop.starts_at)} to {utc_text(workshop.ends_at)}",
        "when_local": ""
        if workshop.timezone == "UTC"
        else f"{local:%Y-%m-%d %H:%M} {workshop.timezone}",
        "location": workshop.place if confirmed and live else "",
        "online_url": workshop.online_url if confirmed and live else "",
        "url": page_url(workshop),
        "calendar_url": settings.SITE_URL.rstrip("/")
        + reverse("community-api:workshop-calendar", args=[workshop.public_id])
        if confirmed
        else "",
    }
    return EmailMessage(
        subject=SUBJECTS[kind].format(title=workshop.title),
        body=render_to_string("community/mail/message.txt", context),
        to=[registration.user.email],
    )


def registration_mail_send(*, registration_id: int, kind: str) -> bool:
    """One person's mail about their own registration; False when its news is stale."""
    registration = (
        Registration.objects.select_related("user__profile", "workshop")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or registration.status != STILL_TRUE[kind]:
        return False
    workshop = registration.workshop
    if kind.startswith("reminder") and workshop.status != WorkshopStatus.PUBLISHED:
        return False
    message_for(kind, workshop, registration).send()
    return True


def reminders_send(*, now: datetime | None = None) -> int:
    """Claim the reminders that are due and send each once; returns how many were claimed.

    A row is marked before its mail is enqueued, in one transaction, with SKIP LOCKED, so
    two sweeps at once never claim the same reminder. The 24-hour reminder goes only to
    people whose seat was confirmed before that mark (the others just had their
    confirmation); within the last hour only the 1-hour one is sent.
    """
    now = now or timezone.now()
    hour, day = timedelta(hours=1), timedelta(hours=24)
    due = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        workshop__status=WorkshopStatus.PUBLISHED,
        workshop__starts_at__gt=now,
    )
    claimed = 0
    with transaction.atomic(durable=True):
        last_hour = list(
            due.filter(workshop__starts_at__lte=now + hour, reminded_1h_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:REMINDER_BATCH]
        )
        Registration.objects.filter(pk__in=last_hour).update(
            reminded_1h_at=now, reminded_24h_at=Coalesce(F("reminded_24h_at"), now)
        )
        for pk in last_hour:
            enqueue_on_commit(MAIL_JOB, pk, "reminder_1h")
        last_day = list(
            due.filter(
                workshop__starts_at__gt=now + hour,
                workshop__starts_at__lte=now + day,
                reminded_24h_at__isnull=True,
                confirmed_at__lte=F("workshop__starts_at") - day,
            )
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:REMINDER_BATCH]
        )
        Registration.objects.filter(pk__in=last_day).update(reminded_24h_at=now)
        for pk in last_day:
            enqueue_on_commit(MAIL_JOB, pk, "reminder_24h")
        claimed = len(last_hour) + len(last_day)
    return claimed
