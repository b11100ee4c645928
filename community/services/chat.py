"""Chat rooms and messages: open a room, post, edit, delete one's own, mark read.

A message is written, with the room's next id, under the room's row lock, and reaches
sockets only after the commit (through the channel layer's group of the room): nobody
hears of a message that is not stored, and ids in a room increase in commit order, so a
client that resumes from the last id it saw misses nothing.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services.notifications import notification_send
from community import chat_selectors as selectors
from community import chat_text
from community.models import Message, MessageEdit, Room, RoomRead, Workshop
from community.models.chat import RoomKind
from core.errors import Conflict, Forbidden, InvalidInput, RetryLater
from ledger.schemas import utc_timestamp

if TYPE_CHECKING:
    from tasks.models import Project

logger = logging.getLogger(__name__)

# The channel layer alias of chat: its consumer and every send to a room or person's group.
CHAT_LAYER = "chat"

EDIT_WINDOW = timedelta(minutes=15)
# Per person, across rooms: at most RATE_LIMIT_COUNT posts in any RATE_LIMIT_WINDOW.
RATE_LIMIT_COUNT = 5
RATE_LIMIT_WINDOW = timedelta(seconds=10)
MAX_SLOW_MODE_SECONDS = 3600
# How much of a message a mention's notification quotes; the link leads to the rest.
MENTION_BODY = 300


class PostingTooFast(RetryLater):
    """A rate limit or the room's slow mode: fine to post again in `retry_after` seconds."""

    status_code = 429


class LiveChatDown(RetryLater):
    """The channel layer (Redis) does not answer: a message stored now would reach nobody
    live, so it is refused before anything is written, with a reason the poster sees."""

    status_code = 503


class Muted(Forbidden):
    def __init__(self, message: str, *, until: datetime, reason: str) -> None:
        super().__init__(message)
        self.until = until
        self.reason = reason


# --- Events -------------------------------------------------------------------------------


def message_event(message: Message, kind: str = "chat.message") -> dict[str, Any]:
    """What sockets and the API show of a message. A deleted message shows only that it was
    removed (and whether by a moderator)."""
    deleted = message.deleted_at is not None
    return {
        "type": kind,
        "room": message.room.slug,
        "id": message.seq,
        "author": {
            "id": str(message.author.public_id),
            "name": selectors.display_name(message.author),
        },
        "body": "" if deleted else message.body,
        "body_html": "" if deleted else message.body_html,
        "created_at": utc_timestamp(message.created_at),
        "edited_at": utc_timestamp(message.edited_at) if message.edited_at else None,
        "deleted": deleted,
        "removed_by_moderator": deleted and message.deleted_by_id != message.author_id,
    }


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer(CHAT_LAYER)
    if layer is None:
        return
    try:
        if hasattr(layer, "group_send_blocking"):
            layer.group_send_blocking(group, message)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The message is stored; sockets that missed it get it when they resume.
        logger.warning("chat fan-out failed group=%s", group, exc_info=True)


def _layer_reachable(group: str) -> bool:
    """Whether the chat layer's server for `group` answers a ping. The in-memory layer (no
    server) always does."""
    layer = get_channel_layer(CHAT_LAYER)
    if not hasattr(layer, "ping_blocking"):
        return True
    # Twice: after a Redis restart the first command on a pooled connection fails, and
    # the pool then replaces that connection.
    for attempt in (1, 2):
        try:
            layer.ping_blocking(group)
        except Exception:
            if attempt == 2:
                logger.warning("chat channel layer unreachable group=%s", group, exc_info=True)
                return False
        else:
            return True
    return False


def fan_out_on_commit(room: Room, event: dict[str, Any]) -> None:
    """After the commit, send `event` to the room's sockets: as its JSON text, encoded here
    once rather than by each socket, with the kind and message id a socket filters on."""
    message = {"type": "chat.event", "kind": event["type"], "id": event.get("id")}
    message["text"] = json.dumps(event)
    transaction.on_commit(lambda: _group_send(room.group, message))


def member_group(room: Room, user_id: int) -> str:
    """The sockets one person has open on one room (a ban closes them)."""
    return f"chat.room.{room.pk}.user.{user_id}"


# --- Rooms --------------------------------------------------------------------------------


STANDING_ROOMS = {RoomKind.LOUNGE: "Lounge", RoomKind.MODERATORS: "Moderators"}


def standing_rooms_open() -> dict[str, Room]:
    """The lounge and the moderators' room, by kind. The migration opens them; this opens
    them again where the tables were emptied (a flushed database, a test)."""
    with transaction.atomic():
        return {
            str(kind): Room.objects.get_or_create(
                slug=str(kind), defaults={"kind": kind, "title": title}
            )[0]
            for kind, title in STANDING_ROOMS.items()
        }


def room_open_for_workshop(*, workshop: Workshop) -> Room:
    """The workshop's room, opened on first call. Runs inside the caller's transaction
    when there is one (a workshop's publication), so it is not durable."""
    with transaction.atomic():
        room, _ = Room.objects.get_or_create(
            workshop=workshop,
            defaults={
                "slug": f"workshop-{workshop.public_id}",
                "kind": RoomKind.WORKSHOP,
                "title": workshop.title[:120],
            },
        )
    return room


def room_open_for_project(*, project: Project) -> Room:
    """The project's room, opened on first call (not durable, as above).

    Safe to call twice at once: `Room.project` is unique, so on PostgreSQL the second
    INSERT waits on the first transaction's uncommitted row, fails once it commits, and
    `get_or_create` (its INSERT is in a savepoint) then reads the committed room; on
    SQLite writers queue on the database lock and the second finds the room."""
    with transaction.atomic():
        room, _ = Room.objects.get_or_create(
            project=project,
            defaults={
                "slug": f"project-{project.public_id}",
                "kind": RoomKind.PROJECT,
                "title": project.title[:120],
            },
        )
    return room


def room_retitle(*, workshop: Workshop | None = None, project: Project | None = None) -> None:
    """The room of a workshop or project takes its subject's current title (no room yet:
    nothing to do). Runs inside the caller's transaction, where the subject was renamed."""
    subject = workshop or project
    if subject is None:
        raise TypeError("room_retitle needs a workshop or a project")
    rooms = (
        Room.objects.filter(workshop=workshop) if workshop else Room.objects.filter(project=project)
    )
    rooms.update(title=subject.title[:120])


def on_project_renamed(sender: Any, *, project: Project, **_: Any) -> None:
    """`tasks.signals.project_renamed`: the room's title follows the project's."""
    room_retitle(project=project)


def on_project_published(sender: Any, *, project: Project, **_: Any) -> None:
    """`tasks.signals.project_published`: the project's room opens with its publication, in
    the publishing transaction, so no published project is without its room. Every
    publication asks (a resume after a pause finds the room); projects published before
    this receiver existed got theirs from migration 0003."""
    room_open_for_project(project=project)


# --- Posting ------------------------------------------------------------------------------


def _fresh(user: User) -> User:
    """The poster as stored now: verification can be withdrawn while a socket is open."""
    return User.objects.select_related("profile").get(pk=user.pk)


def check_may_post(*, user: User, room: Room, now: datetime) -> None:
    """Raise the reason `user` may not post in `room` now (see chat_selectors)."""
    if not selectors.can_read(user=user, room=room):
        raise Forbidden("You cannot post in this room.")
    if not (user.is_verified or selectors.is_moderator(user)):
        raise Forbidden("Only identity-verified members post in chat. Verify your identity first.")
    mute = selectors.running_mute(user=user, room=room, now=now)
    if mute is not None:
        where = "in this room" if mute.room_id else "in every room"
        raise Muted(
            f"You are muted {where} until {utc_timestamp(mute.until)}: {mute.reason}",
            until=mute.until,
            reason=mute.reason,
        )
    if selectors.is_moderator(user):
        return
    recent = list(
        Message.objects.filter(author=user, created_at__gt=now - RATE_LIMIT_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:RATE_LIMIT_COUNT]
    )
    if len(recent) >= RATE_LIMIT_COUNT:
        wait = recent[-1] + RATE_LIMIT_WINDOW - now
        raise PostingTooFast(
            "You are posting too fast.", retry_after=max(1, int(wait.total_seconds() + 0.999))
        )
    if room.slow_mode_seconds:
        last = (
            Message.objects.filter(room=room, author=user)
            .order_by("-seq")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None and last + timedelta(seconds=room.slow_mode_seconds) > now:
            wait = last + timedelta(seconds=room.slow_mode_seconds) - now
            raise PostingTooFast(
                f"Slow mode: one message every {room.slow_mode_seconds} seconds in this room.",
                retry_after=max(1, int(wait.total_seconds() + 0.999)),
            )


def _clean(body: Any) -> tuple[str, str]:
    if not isinstance(body, str):
        raise InvalidInput("Send the message as text.", field="body")
    text = chat_text.clean_body(body)
    problem = chat_text.body_problem(text)
    if problem:
        raise InvalidInput(problem, field="body")
    return text, chat_text.render(text)


def message_post(*, room: Room, author: User, body: Any, now: datetime | None = None) -> Message:
    """Store a message with the room's next id, then (on commit) send it to the room's
    sockets and tell the people it mentions. Refused, with nothing written, while the
    channel layer is unreachable; if it fails between the check and the send, the message
    is stored and reaches sockets when they resume."""
    text, html = _clean(body)
    now = now or timezone.now()
    if not _layer_reachable(room.group):
        raise LiveChatDown(
            "Live chat is unavailable right now: your message was not sent. "
            "Try again in a few seconds.",
            retry_after=5,
        )
    with transaction.atomic(durable=True):
        locked = Room.objects.select_for_update().get(pk=room.pk)
        poster = _fresh(author)
        check_may_post(user=poster, room=locked, now=now)
        locked.last_seq += 1
        locked.save(update_fields=["last_seq"])
        message = Message.objects.create(
            room=locked,
            seq=locked.last_seq,
            author=poster,
            body=text,
            body_html=html,
            created_at=now,
        )
        _mark_read(room=locked, user=poster, seq=message.seq, newest=True)
        fan_out_on_commit(locked, message_event(message))
        # Kept (the bell, mailed when away unless turned off): at most MAX_MENTIONS people,
        # each named by the author, so the sends stay few.
        poster_name = selectors.display_name(poster)
        for person in selectors.mention_targets(room=locked, names=chat_text.mentioned_names(text)):
            if person.pk != poster.pk:
                notification_send(
                    user=person,
                    kind="chat.mention",
                    title=f"{poster_name} mentioned you in {locked.title}",
                    body=text[:MENTION_BODY],
                    url=f"{reverse('chat:room', args=[locked.slug])}#m-{message.seq}",
                    event={
                        "type": "chat.mention",
                        "room": locked.slug,
                        "room_title": locked.title,
                        "id": message.seq,
                        "from": poster_name,
                    },
                )
    room.last_seq = locked.last_seq
    return message


def _lock_message(message: Message) -> Message:
    return (
        Message.objects.select_for_update(of=("self",))
        .select_related("room", "author__profile")
        .get(pk=message.pk)
    )


def message_edit(
    *, message: Message, editor: User, body: Any, now: datetime | None = None
) -> Message:
    """The author changes their message within EDIT_WINDOW; the old text is kept."""
    text, html = _clean(body)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = _lock_message(message)
        if locked.author_id != editor.pk:
            raise Forbidden("You can edit only your own messages.")
        if locked.deleted_at is not None:
            raise Conflict("This message was deleted.")
        if now - locked.created_at > EDIT_WINDOW:
            raise Conflict("Messages can be edited for 15 minutes after posting.")
        if not selectors.can_read(user=editor, room=locked.room):
            raise Forbidden("You cannot post in this room.")
        if text == locked.body:
            return locked
        MessageEdit.objects.create(message=locked, previous_body=locked.body, edited_at=now)
        locked.body, locked.body_html, locked.edited_at = text, html, now
        locked.save(update_fields=["body", "body_html", "edited_at"])
        fan_out_on_commit(locked.room, message_event(locked, "chat.edit"))
    return locked


def message_delete(*, message: Message, actor: User, now: datetime | None = None) -> Message:
    """The author removes their own message (moderators use `moderation.message_remove`)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = _lock_message(message)
        if locked.author_id != actor.pk:
            raise Forbidden("You can delete only your own messages.")
        if locked.deleted_at is not None:
            return locked
        locked.deleted_at, locked.deleted_by = now, actor
        locked.save(update_fields=["deleted_at", "deleted_by"])
        fan_out_on_commit(locked.room, message_event(locked, "chat.delete"))
    return locked


def _mark_read(*, room: Room, user: User, seq: int, newest: bool = False) -> None:
    """Move the person's read mark up to `seq`, never back. `newest`: `seq` is the room's
    newest message and the caller holds the room row's lock, so no mark can be ahead of it
    and one upsert does (a post's own mark)."""
    if newest:
        RoomRead.objects.bulk_create(
            [RoomRead(room=room, user=user, last_read_seq=seq)],
            update_conflicts=True,
            unique_fields=["room", "user"],
            update_fields=["last_read_seq"],
        )
        return
    RoomRead.objects.bulk_create(
        [RoomRead(room=room, user=user, last_read_seq=0)], ignore_conflicts=True
    )
    RoomRead.objects.filter(room=room, user=user, last_read_seq__lt=seq).update(last_read_seq=seq)


def room_mark_read(*, room: Room, user: User, seq: Any) -> None:
    """The person has read up to message `seq` (never moves back; capped at the newest)."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise InvalidInput("A message id is a non-negative integer.", field="id")
    with transaction.atomic(durable=True):
        _mark_read(room=room, user=user, seq=min(seq, Room.objects.get(pk=room.pk).last_seq))
