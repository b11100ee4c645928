"""A workshop's life: draft -> published -> cancelled | finished.

Moderators and people with the `host_workshops` privilege create workshops; hosts edit
their own, moderators any. A change to what a calendar shows (time, place, title, status)
bumps the iCalendar SEQUENCE, so subscribed calendars replace the old copy.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accounts.services.sockets import notify_topic
from community import selectors
from community.models import Workshop
from community.models.workshops import Audience, WorkshopStatus
from community.services.attendance import attendance_count
from community.services.chat import room_open_for_workshop, room_retitle
from community.services.common import announce_workshop, broadcast_seats, lock_workshop, log
from community.services.registrations import waitlist_promote
from core.errors import Conflict, Forbidden, InvalidInput
from core.markdown import render_markdown

if TYPE_CHECKING:
    from accounts.models import User

MAX_TITLE = 120
MAX_DESCRIPTION = 20_000
MAX_PLACE = 200
MAX_CAPACITY = 10_000
MAX_LEVEL = 4
MAX_DURATION = timedelta(days=14)
MAX_MESSAGE = 2_000
MAX_HOSTS = 10
DEFAULTS: dict[str, Any] = {
    "description": "",
    "timezone": "UTC",
    "online_url": "",
    "place": "",
    "registration_opens_at": None,
    "registration_closes_at": None,
    "audience": Audience.SIGNED_IN,
    "min_level": 1,
    "chat_enabled": False,
}
EDITABLE = ("title", "starts_at", "ends_at", "capacity", *DEFAULTS)
# What a calendar entry shows; a change here bumps SEQUENCE.
CALENDAR_FIELDS = {"title", "description", "starts_at", "ends_at", "online_url", "place"}
# What attendees are e-mailed about when it changes after publication.
ATTENDEE_FIELDS = {"starts_at", "ends_at", "online_url", "place"}
ZONES = frozenset(zoneinfo.available_timezones())
_URL = URLValidator(schemes=["https", "http"])


def _moment(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidInput("Give a date and time with its time zone.", field=field)
    return value


def _optional_moment(value: Any, field: str) -> datetime | None:
    return None if value in (None, "") else _moment(value, field)


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("Give a whole number.", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"Give a number from {low} to {high}.", field=field)
    return value


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput("Give text.", field=field)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"Use at most {limit:,} characters.", field=field)
    return value


def _clean(values: dict[str, Any], *, changed: set[str], now: datetime) -> dict[str, Any]:
    """Check every field and the rules between them; the first problem is raised with the
    field it belongs to, before anything is written."""
    cleaned = dict(values)
    cleaned["title"] = _text(values["title"], "title", MAX_TITLE)
    if not cleaned["title"]:
        raise InvalidInput("Give the workshop a title.", field="title")
    cleaned["description"] = _text(values["description"], "description", MAX_DESCRIPTION)
    starts_at = cleaned["starts_at"] = _moment(values["starts_at"], "starts_at")
    ends_at = cleaned["ends_at"] = _moment(values["ends_at"], "ends_at")
    if "starts_at" in changed and starts_at <= now:
        raise InvalidInput("The start must be in the future.", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("The end must be after the start.", field="ends_at")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("A workshop lasts at most 14 days.", field="ends_at")
    if values["timezone"] not in ZONES:
        raise InvalidInput("Choose a time zone such as Europe/Berlin or UTC.", field="timezone")
    url = cleaned["online_url"] = _text(values["online_url"], "online_url", 500)
    if url:
        try:
            _URL(url)
        except ValidationError:
            raise InvalidInput("Give a full https:// link.", field="online_url") from None
    cleaned["place"] = _text(values["place"], "place", MAX_PLACE)
    if not url and not cleaned["place"]:
        raise InvalidInput("Give an online link or a place.", field="online_url")
    cleaned["capacity"] = _whole(values["capacity"], "capacity", 1, MAX_CAPACITY)
    opens = cleaned["registration_opens_at"] = _optional_moment(
        values["registration_opens_at"], "registration_opens_at"
    )
    closes = cleaned["registration_closes_at"] = _optional_moment(
        values["registration_closes_at"], "registration_closes_at"
    )
    if opens and opens >= starts_at:
        raise InvalidInput(
            "Registration must open before the start.", field="registration_opens_at"
        )
    if closes and closes > starts_at:
        raise InvalidInput("Registration must close by the start.", field="registration_closes_at")
    if opens and closes and closes <= opens:
        raise InvalidInput(
            "Registration must close after it opens.", field="registration_closes_at"
        )
    if values["audience"] not in Audience.values:
        raise InvalidInput(
            "Choose signed_in, verified or level.",
            field="audience",
        )
    cleaned["min_level"] = _whole(values["min_level"], "min_level", 1, MAX_LEVEL)
    if values["audience"] == Audience.LEVEL and cleaned["min_level"] < 2:
        raise InvalidInput(
            "A level-gated workshop needs level 2 or more; level 1 is everyone.",
            field="min_level",
        )
    if not isinstance(values["chat_enabled"], bool):
        raise InvalidInput("Give true or false.", field="chat_enabled")
    return cleaned


def _hosts(actor: User, cohosts: Iterable[User]) -> list[User]:
    hosts = [actor]
    for person in cohosts:
        if not person.is_active:
            raise InvalidInput("A co-host's account is not active.", field="cohosts")
        if all(person.pk != host.pk for host in hosts):
            hosts.append(person)
    if len(hosts) > MAX_HOSTS:
        raise InvalidInput(f"A workshop has at most {MAX_HOSTS} hosts.", field="cohosts")
    return hosts


def workshop_create(
    *,
    actor: User,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    cohosts: Iterable[User] = (),
    publish: bool = False,
    now: datetime | None = None,
    **fields: Any,
) -> Workshop:
    """A draft (or, with `publish`, a published) workshop hosted by `actor` and `cohosts`.
    `fields` are the optional ones of `DEFAULTS`."""
    now = now or timezone.now()
    unknown = set(fields) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown workshop fields: {sorted(unknown)}")
    if not selectors.may_host(actor):
        raise Forbidden(
            "Hosting workshops needs reputation level 4 (the host privilege) or the moderator role."
        )
    values = {
        **DEFAULTS,
        **fields,
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "capacity": capacity,
    }
    cleaned = _clean(values, changed=set(values), now=now)
    hosts = _hosts(actor, cohosts)
    with transaction.atomic(durable=True):
        workshop = Workshop.objects.create(
            created_by=actor, description_html=render_markdown(cleaned["description"]), **cleaned
        )
        workshop.hosts.set(hosts)
        log(workshop=workshop, action="create", actor=actor)
        if publish:
            _publish(workshop, actor=actor, now=now)
    return workshop


def workshop_update(
    *,
    workshop: Workshop,
    actor: User,
    cohosts: Iterable[User] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> Workshop:
    """Change some fields; the rest keep their value. `cohosts`, when given, replaces every
    host but the creator. Raising the capacity offers the new seats to the waitlist;
    lowering it below the seats held is refused (nobody is silently dropped)."""
    now = now or timezone.now()
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown workshop fields: {sorted(unknown)}")
    with transaction.atomic(durable=True):
        locked = lock_workshop(workshop.pk)
        if not selectors.may_manage(actor, locked):
            raise Forbidden("Only the workshop's hosts and moderators may edit it.")
        if locked.status not in (WorkshopStatus.DRAFT, WorkshopStatus.PUBLISHED):
            raise Conflict(f"A {locked.status} workshop can no longer be edited.")
        current = {name: getattr(locked, name) for name in EDITABLE}
        changed = {name for name, value in changes.items() if value != current[name]}
        cleaned = _clean({**current, **changes}, changed=changed, now=now)
        held = locked.confirmed_count + locked.offered_count
        if cleaned["capacity"] < held:
            raise InvalidInput(
                f"{held} people hold seats ({locked.confirmed_count} confirmed, "
                f"{locked.offered_count} with an open offer); the capacity cannot go "
                f"below {held}.",
                field="capacity",
            )
        if cohosts is not None:
            creator = locked.created_by
            locked.hosts.set(_hosts(creator, cohosts))
        changed = {name for name in changed if cleaned[name] != current[name]}
        for name in changed:
            setattr(locked, name, cleaned[name])
        update_fields = [*sorted(changed), "updated_at"]
        if "description" in changed:
            locked.description_html = render_markdown(locked.description)
            update_fields.append("description_html")
        published = locked.status == WorkshopStatus.PUBLISHED
        if published and changed & CALENDAR_FIELDS:
            locked.sequence += 1
            update_fields.append("sequence")
        locked.save(update_fields=update_fields)
        if "title" in changed:
            room_retitle(workshop=locked)
        if "capacity" in changed:
            waitlist_promote(workshop=locked, now=now, actor=actor)
            locked.save(update_fields=["confirmed_count", "offered_count", "waitlist_count"])
        log(
            workshop=locked,
            action="edit",
            actor=actor,
            fields=sorted(changed),
            hosts_changed=cohosts is not None,
        )
        if published:
            if locked.chat_enabled:
                room_open_for_workshop(workshop=locked)
            broadcast_seats(locked)
            if changed & ATTENDEE_FIELDS:
                notify_topic(
                    topic=locked.topic,
                    event={"type": "workshop.changed", "workshop": str(locked.public_id)},
                )
                announce_workshop(locked, "changed")
    return locked


def _publish(workshop: Workshop, *, actor: User, now: datetime) -> None:
    if workshop.status != WorkshopStatus.DRAFT:
        raise Conflict("Only a draft can be published.")
    if workshop.starts_at <= now:
        raise InvalidInput(
            "The start is in the past: move it before publishing.", field="starts_at"
        )
    workshop.status = WorkshopStatus.PUBLISHED
    workshop.published_at = now
    workshop.save(update_fields=["status", "published_at", "updated_at"])
    log(workshop=workshop, action="publish", actor=actor)
    if workshop.chat_enabled:
        room_open_for_workshop(workshop=workshop)


def workshop_publish(*, workshop: Workshop, actor: User, now: datetime | None = None) -> Workshop:
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_workshop(workshop.pk)
        if not selectors.may_manage(actor, locked):
            raise Forbidden("Only the workshop's hosts and moderators may publish it.")
        _publish(locked, actor=actor, now=now)
    return locked


def workshop_cancel(
    *, workshop: Workshop, actor: User, message: str, now: datetime | None = None
) -> Workshop:
    """Call the workshop off with a message to everyone registered. Registrations stay as
    they were, so each person's calendar feed shows the event as cancelled."""
    now = now or timezone.now()
    message = _text(message, "message", MAX_MESSAGE)
    with transaction.atomic(durable=True):
        locked = lock_workshop(workshop.pk)
        if not selectors.may_manage(actor, locked):
            raise Forbidden("Only the workshop's hosts and moderators may cancel it.")
        if locked.status not in (WorkshopStatus.DRAFT, WorkshopStatus.PUBLISHED):
            raise Conflict(f"The workshop is already {locked.status}.")
        published = locked.status == WorkshopStatus.PUBLISHED
        if published and now >= locked.ends_at:
            raise Conflict("The workshop has ended; it can no longer be cancelled.")
        if published and not message:
            raise InvalidInput("Tell the people registered why it is cancelled.", field="message")
        locked.status = WorkshopStatus.CANCELLED
        locked.cancelled_at = now
        locked.cancel_message = message
        update_fields = ["status", "cancelled_at", "cancel_message", "updated_at"]
        if published:
            locked.sequence += 1
            update_fields.append("sequence")
        locked.save(update_fields=update_fields)
        log(workshop=locked, action="cancel", actor=actor)
        if published:
            broadcast_seats(locked)
            notify_topic(
                topic=locked.topic,
                event={
                    "type": "workshop.cancelled",
                    "workshop": str(locked.public_id),
                    "message": message,
                },
            )
            announce_workshop(locked, "cancelled")
    return locked


def workshop_finish(*, workshop: Workshop, now: datetime | None = None) -> bool:
    """Close a published workshop after its end and count its attendance marks in
    reputation; False when there is nothing to do (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_workshop(workshop.pk)
        if locked.status != WorkshopStatus.PUBLISHED or now < locked.ends_at:
            return False
        locked.status = WorkshopStatus.FINISHED
        locked.finished_at = now
        locked.save(update_fields=["status", "finished_at", "updated_at"])
        counted = attendance_count(workshop=locked, now=now)
        log(workshop=locked, action="finish", counted=counted)
        broadcast_seats(locked)
    return True


def workshops_finish(*, now: datetime | None = None) -> int:
    """The periodic sweep: finish every published workshop that has ended."""
    now = now or timezone.now()
    ended = Workshop.objects.filter(status=WorkshopStatus.PUBLISHED, ends_at__lte=now)
    return sum(workshop_finish(workshop=workshop, now=now) for workshop in ended)
