"""Chat: rooms, their messages and edits, read marks, and moderation (mutes, bans, reports
and the record of every moderator's action).

A message is numbered under its room's row lock (`Room.last_seq`), so ids within a room
increase without gaps in the order they were committed (see `community.services.chat`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from community.models.workshops import Workshop
from core.models import AppendOnlyModel


class RoomKind(models.TextChoices):
    LOUNGE = "lounge", "Lounge"
    WORKSHOP = "workshop", "Workshop"
    PROJECT = "project", "Task project"
    MODERATORS = "moderators", "Moderators"


class Room(models.Model):
    """A chat room. Who may read and post follows from its kind (`community.chat_selectors`);
    `last_seq` is the room's message counter, bumped under the room's row lock, so message
    ids within a room increase without gaps in the order they were committed."""

    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=RoomKind.choices)
    title = models.CharField(max_length=120)
    workshop = models.OneToOneField(
        Workshop, on_delete=models.CASCADE, null=True, blank=True, related_name="chat_room"
    )
    project = models.OneToOneField(
        "tasks.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="chat_room"
    )
    # Seconds a person waits between two posts in this room; 0 is off. Set by moderators.
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="workshop", workshop__isnull=False, project__isnull=True)
                    | Q(kind="project", project__isnull=False, workshop__isnull=True)
                    | Q(
                        kind__in=["lounge", "moderators"],
                        workshop__isnull=True,
                        project__isnull=True,
                    )
                ),
                name="community_room_subject_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"room {self.slug}"

    @property
    def group(self) -> str:
        """The channel-layer group every socket open on this room joins."""
        return f"chat.room.{self.pk}"


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    # The room's counter at the time of posting: what clients resume from and page by.
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_messages"
    )
    body = models.TextField()
    # Rendered from `body` by the service (a small Markdown subset, sanitised).
    body_html = models.TextField()
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    # A deleted message keeps its text for the record; readers see only that it was removed.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    delete_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="community_message_seq_per_room"),
        ]
        indexes = [
            # The per-person rate limit counts one person's recent posts.
            models.Index(fields=["author", "created_at"], name="community_msg_author_time"),
        ]

    def __str__(self) -> str:
        return f"message {self.room_id}/{self.seq}"


class MessageEdit(AppendOnlyModel):
    """The text a message had before each edit; moderators see the history."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    previous_body = models.TextField()
    edited_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"edit of {self.message_id}"


class RoomRead(models.Model):
    """How far a person has read a room: unread counts are the messages after it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="community_one_read_mark"),
        ]

    def __str__(self) -> str:
        return f"read mark {self.room_id}/{self.user_id}"


class Mute(models.Model):
    """A person may not post until `until`: in one room, or everywhere when `room` is empty."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_mutes"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, null=True, blank=True)
    until = models.DateTimeField()
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "until"], name="community_mute_user_until")]

    def __str__(self) -> str:
        return f"mute of {self.user_id}"


class Ban(models.Model):
    """A person may no longer read or post in a room."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_bans"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="community_one_ban_per_room"),
        ]

    def __str__(self) -> str:
        return f"ban of {self.user_id} from {self.room_id}"


class Report(models.Model):
    """Someone's report of a message, open until a moderator resolves it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"], name="community_one_report_per_person"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(resolved_at__isnull=True),
                name="community_open_reports",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.public_id}"


class ModerationAction(AppendOnlyModel):
    """Who did what in chat moderation, to whom, why and when (the record)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, null=True, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="community_modaction_time")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id}"
