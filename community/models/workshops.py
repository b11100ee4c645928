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
