"""Workshops, their registrations (seat, waitlist, offer, attendance) and their audit trail.

Seat counters live on the workshop row and change only under that row's lock (see
`community.services`), so the check constraint below is a second line: even a bug in a
service cannot seat more people than the capacity.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import AppendOnlyModel


class WorkshopStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"
    FINISHED = "finished", "Finished"


class Audience(models.TextChoices):
    SIGNED_IN = "signed_in", "Everyone signed in"
    VERIFIED = "verified", "Identity-verified members"
    LEVEL = "level", "A minimum reputation level"


class Workshop(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # Rendered from `description` by the service (Markdown, sanitised); never edited.
    description_html = models.TextField(blank=True, editable=False)
    hosts = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="hosted_workshops")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The host's zone, named beside the viewer's own when they differ.
    timezone = models.CharField(max_length=64, default="UTC")
    # Shown only to confirmed attendees and hosts.
    online_url = models.URLField(max_length=500, blank=True)
    place = models.CharField(max_length=200, blank=True)
    capacity = models.PositiveIntegerField()
    # Empty: registration opens on publication and closes at the start.
    registration_opens_at = models.DateTimeField(null=True, blank=True)
    registration_closes_at = models.DateTimeField(null=True, blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.SIGNED_IN)
    min_level = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=20, choices=WorkshopStatus.choices, default=WorkshopStatus.DRAFT
    )
    chat_enabled = models.BooleanField(default=False)
    # Seat counters: `confirmed` + `offered` seats are taken (an offer holds its seat until
    # it is answered or lapses); `waitlisted` people wait behind them.
    confirmed_count = models.PositiveIntegerField(default=0)
    offered_count = models.PositiveIntegerField(default=0)
    waitlist_count = models.PositiveIntegerField(default=0)
    # Arrival order: each registration takes the next number under the workshop's lock.
    next_queue_number = models.PositiveIntegerField(default=1)
    # iCalendar SEQUENCE: bumped whenever what a calendar shows changes.
    sequence = models.PositiveIntegerField(default=0)
    cancel_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="community_workshop_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=F("confirmed_count") + F("offered_count")),
                name="community_workshop_seats_within_capacity",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="community_ws_status_start")]

    def __str__(self) -> str:
        return f"workshop {self.public_id}"

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.confirmed_count - self.offered_count)

    @property
    def topic(self) -> str:
        return f"workshop:{self.public_id}"


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    WAITLISTED = "waitlisted", "On the waitlist"
    OFFERED = "offered", "Seat offered"
    CANCELLED = "cancelled", "Left"
    DECLINED = "declined", "Offer declined"
    EXPIRED = "expired", "Offer lapsed"


ACTIVE_STATUSES = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.OFFERED,
)


class Attendance(models.TextChoices):
    UNMARKED = "unmarked", "Not marked"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"


class Registration(models.Model):
    """One person's place at one workshop. Leaving and registering again reuses the row
    (at the back of the queue), so a person never holds two."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workshop_registrations"
    )
    status = models.CharField(max_length=20, choices=RegistrationStatus.choices)
    queue_number = models.PositiveIntegerField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    attendance = models.CharField(
        max_length=20, choices=Attendance.choices, default=Attendance.UNMARKED
    )
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set once the attendance became a reputation event; after that it is final.
    reputation_recorded_at = models.DateTimeField(null=True, blank=True)
    reminded_24h_at = models.DateTimeField(null=True, blank=True)
    reminded_1h_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "user"], name="community_one_registration_per_person"
            ),
            models.UniqueConstraint(
                fields=["workshop", "queue_number"], name="community_one_place_per_number"
            ),
        ]
        indexes = [
            models.Index(fields=["workshop", "status", "queue_number"], name="community_reg_queue"),
            # The offer sweep reads only open offers.
            models.Index(
                fields=["offer_expires_at"],
                condition=Q(status="offered"),
                name="community_reg_open_offers",
            ),
            models.Index(fields=["user", "status"], name="community_reg_user_status"),
        ]

    def __str__(self) -> str:
        return f"registration {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class WorkshopLog(AppendOnlyModel):
    """Who did what to a workshop or a registration, when (the audit trail)."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="log")
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, null=True, blank=True, related_name="log"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["workshop", "created_at"], name="community_log_workshop")]

    def __str__(self) -> str:
        return f"{self.action} on {self.workshop_id}"


class CalendarFeed(models.Model):
    """A person's secret subscription URL. Only a hash of the token is kept: the URL is
    shown once, and resetting it revokes the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workshop_calendar"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"


# --- Chat ---------------------------------------------------------------------------------


class RoomKind(models.TextChoices):
    LOUNGE = "lounge", "Lounge"
    WORKSHOP = "workshop", "Workshop"
    PROJECT = "project", "Task project"
    MODERATORS = "moderators", "Moderators"


class Room(models.Model):
    """A chat room. Who may read and post follows from its kind (`community.chat_access`);
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
