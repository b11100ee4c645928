"""Chat moderation: reports, removing messages, mutes, bans, slow mode.

Every action writes a `ModerationAction` (who, what, why, when) in its transaction; mutes
and bans are also `community.moderation` leaves in the transparency log, with the person
as a keyed pseudonym and without the reason (free text may name people). The person muted
or banned keeps a notification (`chat.moderation`) of until when and why, without the
moderator's name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services.notifications import notification_send
from community import chat_selectors as selectors
from community.models import Ban, Message, ModerationAction, Mute, Report, Room
from community.services.chat import (
    MAX_SLOW_MODE_SECONDS,
    _group_send,
    _lock_message,
    fan_out_on_commit,
    member_group,
    message_event,
)
from community.services.common import utc_text
from core.errors import Conflict, Forbidden, InvalidInput
from ledger.pseudonyms import pseudonym
from ledger.schemas import utc_timestamp
from ledger.services import entry_record

if TYPE_CHECKING:
    from accounts.models import User

MAX_MUTE = timedelta(days=365)
# The close code a banned person's open sockets on the room get: mirrors HTTP 403.
CLOSE_BANNED = 4403


def _require_moderator(user: User) -> None:
    if not selectors.is_moderator(user):
        raise Forbidden("Only moderators can do this.")


def _reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("Give a reason.", field="reason")
    if len(reason.strip()) > 500:
        raise InvalidInput("Keep the reason under 500 characters.", field="reason")
    return reason.strip()


def _record(
    *,
    actor: User,
    action: str,
    now: datetime,
    room: Room | None = None,
    subject: User | None = None,
    message: Message | None = None,
    reason: str = "",
    **detail: Any,
) -> None:
    ModerationAction.objects.create(
        actor=actor,
        action=action,
        room=room,
        subject=subject,
        message=message,
        reason=reason,
        detail=detail,
        created_at=now,
    )


def _ledger(
    *, action: str, subject: User, room: Room | None, until: datetime | None, now: datetime
) -> None:
    entry_record(
        kind="community.moderation",
        payload={
            "action": action,
            "subject": pseudonym("community.member", subject.public_id),
            "room": room.slug if room else None,
            "until": utc_timestamp(until) if until else None,
            "at": utc_timestamp(now),
        },
    )


def report_create(
    *, message: Message, reporter: User, reason: Any, now: datetime | None = None
) -> Report:
    """Anyone who reads the room reports a message to the moderators' queue, once."""
    text = _reason(reason)
    now = now or timezone.now()
    if not selectors.can_read(user=reporter, room=message.room):
        raise Forbidden("You cannot see this message.")
    if message.author_id == reporter.pk:
        raise InvalidInput("You cannot report your own message.", field="message")
    try:
        with transaction.atomic(durable=True):
            report = Report.objects.create(
                message=message, reporter=reporter, reason=text, created_at=now
            )
    except IntegrityError as error:
        raise Conflict("You have already reported this message.") from error
    return report


def report_dismiss(*, report: Report, moderator: User, now: datetime | None = None) -> Report:
    _require_moderator(moderator)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = (
            Report.objects.select_for_update().select_related("message__room").get(pk=report.pk)
        )
        if locked.resolved_at is not None:
            raise Conflict("This report is already resolved.")
        locked.resolved_at, locked.resolved_by, locked.resolution = now, moderator, "dismissed"
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        _record(
            actor=moderator,
            action="report_dismiss",
            now=now,
            room=locked.message.room,
            message=locked.message,
            report=str(locked.public_id),
        )
    return locked


def message_remove(
    *, message: Message, moderator: User, reason: Any, now: datetime | None = None
) -> Message:
    """A moderator removes any message, with a reason; the text stays for the record and
    the open reports of it are resolved."""
    _require_moderator(moderator)
    text = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = _lock_message(message)
        if locked.deleted_at is not None:
            raise Conflict("This message is already deleted.")
        locked.deleted_at, locked.deleted_by, locked.delete_reason = now, moderator, text
        locked.save(update_fields=["deleted_at", "deleted_by", "delete_reason"])
        Report.objects.filter(message=locked, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=moderator, resolution="message_removed"
        )
        _record(
            actor=moderator,
            action="message_remove",
            now=now,
            room=locked.room,
            subject=locked.author,
            message=locked,
            reason=text,
        )
        fan_out_on_commit(locked.room, message_event(locked, "chat.delete"))
    return locked


def mute_create(
    *,
    subject: User,
    moderator: User,
    reason: Any,
    minutes: Any,
    room: Room | None = None,
    now: datetime | None = None,
) -> Mute:
    """Keep `subject` from posting, in `room` or everywhere (room None), for `minutes`.
    The person hears until when and why on their feed, and again whenever they try."""
    _require_moderator(moderator)
    text = _reason(reason)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        raise InvalidInput("Mute for at least one minute.", field="minutes")
    if timedelta(minutes=minutes) > MAX_MUTE:
        raise InvalidInput("Mute for at most a year; ban from the room instead.", field="minutes")
    if subject.pk == moderator.pk:
        raise InvalidInput("You cannot mute yourself.", field="user")
    now = now or timezone.now()
    until = now + timedelta(minutes=minutes)
    with transaction.atomic(durable=True):
        mute = Mute.objects.create(
            user=subject, room=room, until=until, reason=text, created_by=moderator, created_at=now
        )
        _record(
            actor=moderator,
            action="mute",
            now=now,
            room=room,
            subject=subject,
            reason=text,
            until=utc_timestamp(until),
        )
        _ledger(action="mute", subject=subject, room=room, until=until, now=now)
        where = f"in {room.title}" if room else "in every chat room"
        told = f"You are muted {where} until {utc_text(until)}"
        notification_send(
            user=subject,
            kind="chat.moderation",
            title=told,
            body=f"The moderator's reason: {text}",
            url=reverse("chat:room", args=[room.slug]) if room else reverse("chat:rooms"),
            event={
                "type": "chat.muted",
                "room": room.slug if room else None,
                "until": utc_timestamp(until),
                "reason": text,
                "message": f"{told}: {text}",
            },
        )
    return mute


def ban_create(
    *, subject: User, moderator: User, room: Room, reason: Any, now: datetime | None = None
) -> Ban:
    """`subject` no longer reads or posts in `room`; their open sockets on it close."""
    _require_moderator(moderator)
    text = _reason(reason)
    if subject.pk == moderator.pk:
        raise InvalidInput("You cannot ban yourself.", field="user")
    now = now or timezone.now()
    try:
        with transaction.atomic(durable=True):
            ban = Ban.objects.create(
                user=subject, room=room, reason=text, created_by=moderator, created_at=now
            )
            _record(actor=moderator, action="ban", now=now, room=room, subject=subject, reason=text)
            _ledger(action="ban", subject=subject, room=room, until=None, now=now)
            told = f"You are banned from {room.title}"
            notification_send(
                user=subject,
                kind="chat.moderation",
                title=told,
                body=f"You no longer read or post there. The moderator's reason: {text}",
                url=reverse("chat:rooms"),
                event={
                    "type": "chat.banned",
                    "room": room.slug,
                    "reason": text,
                    "message": f"{told}: {text}",
                },
            )
            group = member_group(room, subject.pk)
            transaction.on_commit(
                lambda: _group_send(group, {"type": "chat.close", "code": CLOSE_BANNED})
            )
    except IntegrityError as error:
        raise Conflict("This person is already banned from this room.") from error
    return ban


def room_set_slow_mode(
    *, room: Room, moderator: User, seconds: Any, now: datetime | None = None
) -> Room:
    _require_moderator(moderator)
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not (0 <= seconds <= MAX_SLOW_MODE_SECONDS)
    ):
        raise InvalidInput(
            f"Slow mode is 0 (off) to {MAX_SLOW_MODE_SECONDS} seconds.", field="seconds"
        )
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = Room.objects.select_for_update().get(pk=room.pk)
        locked.slow_mode_seconds = seconds
        locked.save(update_fields=["slow_mode_seconds"])
        _record(actor=moderator, action="slow_mode", now=now, room=locked, seconds=seconds)
        fan_out_on_commit(
            locked, {"type": "chat.slow_mode", "room": locked.slug, "seconds": seconds}
        )
    return locked
