"""Reads of chat data, and who may read and post where.

Who may read a room follows from its kind:
- the lounge: everyone signed in;
- a workshop's room: its hosts and its confirmed attendees;
- a project's room: its requester and everyone who has had one of its items;
- the moderators' room: moderators.
Moderators read every room (they moderate them). A ban from a room takes reading away.
Posting needs reading, identity verification (moderators post without it: staff), and no
running mute. Every read, post and socket connect asks these functions afresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from accounts.models import User
from community.models import (
    Ban,
    Message,
    MessageEdit,
    Mute,
    Registration,
    Report,
    Room,
    RoomRead,
    Workshop,
)
from community.models.chat import RoomKind
from community.models.workshops import RegistrationStatus
from core.errors import NotFound
from tasks import selectors as task_selectors

ROOM_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")

if TYPE_CHECKING:
    from tasks.models import Project

# How many messages a page of history holds, and how many a reconnecting socket is sent
# before it is told to page back over the REST API instead.
PAGE_SIZE = 50
RESUME_LIMIT = 200


def is_moderator(user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm("accounts.moderate_community"))


def display_name(user: User) -> str:
    profile = getattr(user, "profile", None)
    name = getattr(profile, "display_name", "")
    return name or f"Member {user.public_id.hex[:6]}"


def _member_filter(user: User) -> Any:
    """Rooms whose kind makes `user` a member (bans aside)."""
    confirmed = Registration.objects.filter(
        workshop=OuterRef("workshop_id"), user=user, status=RegistrationStatus.CONFIRMED
    )
    hosting = Workshop.hosts.through.objects.filter(
        workshop_id=OuterRef("workshop_id"), user_id=user.pk
    )
    worked = task_selectors.projects_worked_by(user=user).filter(pk=OuterRef("project_id"))
    return (
        Q(kind=RoomKind.LOUNGE)
        | Q(kind=RoomKind.WORKSHOP) & (Exists(confirmed) | Exists(hosting))
        | Q(kind=RoomKind.PROJECT) & (Q(project__owner=user) | Exists(worked))
    )


def readable_rooms(*, user: User) -> QuerySet[Room]:
    if not user.is_authenticated or not user.is_active:
        return Room.objects.none()
    if is_moderator(user):
        return Room.objects.all()
    banned = Ban.objects.filter(room=OuterRef("pk"), user=user)
    return Room.objects.filter(_member_filter(user)).exclude(Exists(banned))


def rooms_with_unread(*, user: User) -> QuerySet[Room]:
    """The rooms `user` reads, each with `unread`: messages after the person's read mark.
    One query whatever the number of rooms."""
    read_mark = RoomRead.objects.filter(room=OuterRef("pk"), user=user).values("last_read_seq")
    return (
        readable_rooms(user=user)
        .select_related("workshop", "project")
        .annotate(
            read_seq=Coalesce(
                Subquery(read_mark, output_field=BigIntegerField()),
                Value(0, output_field=BigIntegerField()),
            )
        )
        .annotate(unread=Greatest(F("last_seq") - F("read_seq"), Value(0)))
        .order_by("kind", "title", "pk")
    )


def room_for_reader(*, user: User, slug: Any) -> Room:
    """The room, if `user` may read it; otherwise the same NotFound as for no room at all,
    so nobody learns which private rooms exist."""
    # A room's slug is a slug: anything else (a NUL byte, which PostgreSQL text cannot hold,
    # among them) names no room and never reaches the query.
    if not isinstance(slug, str) or not ROOM_SLUG.fullmatch(slug):
        raise NotFound("No such room.")
    room = readable_rooms(user=user).filter(slug=slug).select_related("workshop", "project").first()
    if room is None:
        raise NotFound("No such room.")
    return room


def can_read(*, user: User, room: Room) -> bool:
    return readable_rooms(user=user).filter(pk=room.pk).exists()


def readable_room_slug(
    *, user: User, project: Project | None = None, workshop: Workshop | None = None
) -> str | None:
    """The slug of the project's or the workshop's room when `user` may read it; None when
    there is no room (a draft project, a workshop without chat) or it is not theirs to read.
    One query, through the same check as every read (`readable_rooms`)."""
    if (project is None) == (workshop is None):
        raise ValueError("ask about a project or a workshop")
    rooms = readable_rooms(user=user)
    if project is not None:
        rooms = rooms.filter(project=project)
    else:
        rooms = rooms.filter(workshop=workshop)
    return rooms.values_list("slug", flat=True).first()


def running_mute(*, user: User, room: Room, now: datetime) -> Mute | None:
    """The mute that keeps `user` from posting in `room` longest, if any."""
    return (
        Mute.objects.filter(user=user, until__gt=now)
        .filter(Q(room=room) | Q(room__isnull=True))
        .order_by("-until")
        .first()
    )


def messages(*, room: Room) -> QuerySet[Message]:
    return Message.objects.filter(room=room).select_related("room", "author__profile")


def history(*, room: Room, before: int | None = None, limit: int = PAGE_SIZE) -> list[Message]:
    """Up to `limit` messages before `before` (the newest when None), oldest first."""
    queryset = messages(room=room)
    if before is not None:
        queryset = queryset.filter(seq__lt=before)
    return list(reversed(queryset.order_by("-seq")[:limit]))


@dataclass(frozen=True)
class Missed:
    messages: list[Message]
    # Set when more were missed than a socket is sent: page back over REST before this id.
    older_before: int | None


def missed_since(*, room: Room, after: int) -> Missed:
    """What a socket that last saw message `after` missed, oldest first, bounded."""
    newest = list(messages(room=room).filter(seq__gt=after).order_by("-seq")[: RESUME_LIMIT + 1])
    truncated = len(newest) > RESUME_LIMIT
    kept = list(reversed(newest[:RESUME_LIMIT]))
    return Missed(messages=kept, older_before=kept[0].seq if truncated and kept else None)


def message_in_room(*, room: Room, seq: Any) -> Message:
    try:
        number = int(seq)
    except (TypeError, ValueError) as error:
        raise NotFound("No such message.") from error
    message = messages(room=room).filter(seq=number).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def message_for_reader(*, user: User, slug: Any, seq: Any) -> Message:
    return message_in_room(room=room_for_reader(user=user, slug=slug), seq=seq)


def edit_history(*, message: Message) -> QuerySet[MessageEdit]:
    return MessageEdit.objects.filter(message=message).order_by("edited_at", "pk")


def open_reports() -> QuerySet[Report]:
    return (
        Report.objects.filter(resolved_at__isnull=True)
        .select_related("message__room", "message__author__profile", "reporter__profile")
        .order_by("created_at", "pk")
    )


def context_of(*, message: Message, around: int = 3) -> list[Message]:
    """The message with up to `around` messages either side, oldest first."""
    return list(
        messages(room=message.room)
        .filter(seq__gte=message.seq - around, seq__lte=message.seq + around)
        .order_by("seq")
    )


def contexts_of(*, messages: list[Message], around: int = 3) -> dict[int, list[Message]]:
    """Each message's context (see `context_of`) by message pk, in one query."""
    if not messages:
        return {}
    ranges = Q()
    for message in messages:
        ranges |= Q(
            room_id=message.room_id, seq__gte=message.seq - around, seq__lte=message.seq + around
        )
    nearby = list(
        Message.objects.filter(ranges)
        .select_related("author__profile", "room")
        .order_by("room_id", "seq")
    )
    return {
        message.pk: [
            other
            for other in nearby
            if other.room_id == message.room_id and abs(other.seq - message.seq) <= around
        ]
        for message in messages
    }


def mention_targets(*, room: Room, names: list[str]) -> list[User]:
    """People named in a message (by display name, any case) who can read the room."""
    if not names:
        return []
    named = Q()
    for name in names:
        named |= Q(profile__display_name__iexact=name)
    candidates = User.objects.filter(named, is_active=True).select_related("profile")[:20]
    return [person for person in candidates if can_read(user=person, room=room)]
