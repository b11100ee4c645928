"""iCalendar (RFC 5545) files of workshops, built with the `icalendar` library.

Times are written in UTC (`...Z`), which every client reads without a VTIMEZONE. Each
workshop keeps one UID for life and carries its SEQUENCE, so a subscribed calendar
replaces its copy when the time or place changes, and shows STATUS:CANCELLED when the
workshop is called off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from community.models import Workshop
from community.models.workshops import WorkshopStatus

PRODID = "-//Pioneer Platform//Workshops//EN"


def page_url(workshop: Workshop) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("community:detail", args=[workshop.public_id])


def uid(workshop: Workshop) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "pioneer.invalid"
    return f"workshop-{workshop.public_id}@{host}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _event(workshop: Workshop, *, show_location: bool, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid(workshop))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(workshop.starts_at))
    event.add("dtend", _utc(workshop.ends_at))
    event.add("sequence", workshop.sequence)
    event.add("created", _utc(workshop.created_at))
    event.add("last-modified", _utc(workshop.updated_at))
    cancelled = workshop.status == WorkshopStatus.CANCELLED
    event.add("summary", f"Cancelled: {workshop.title}" if cancelled else workshop.title)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("url", page_url(workshop))
    lines = [workshop.description] if workshop.description else []
    if cancelled and workshop.cancel_message:
        lines.insert(0, f"Cancelled: {workshop.cancel_message}")
    if show_location:
        if workshop.online_url:
            lines.append(f"Join online: {workshop.online_url}")
        location = workshop.place or workshop.online_url
        if location:
            event.add("location", location)
    lines.append(f"Details: {page_url(workshop)}")
    event.add("description", "\n\n".join(lines))
    return event


def calendar_bytes(
    *,
    workshops: Iterable[Workshop],
    show_location: Callable[[Workshop], bool],
    name: str,
    now: datetime,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for workshop in workshops:
        calendar.add_component(_event(workshop, show_location=show_location(workshop), stamp=now))
    return calendar.to_ical()
