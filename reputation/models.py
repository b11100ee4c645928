from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import AppendOnlyModel


# Epoch-scaled sums grow as 2^(day / half-life); numeric keeps them exact for centuries.
def _scaled() -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(max_digits=40, decimal_places=0, default=0)


class ReputationEvent(AppendOnlyModel):
    """One immutable piece of evidence; scores are derived from these and can be rebuilt."""

    class Source(models.TextChoices):
        GOLD = "gold", "Gold answer"
        PEER_REVIEW = "peer_review", "Peer review"
        REVIEW_QUALITY = "review_quality", "Review quality"
        KYC_VOTE = "kyc_vote", "KYC vote"
        WORKSHOP = "workshop", "Workshop attendance"
        PENALTY = "penalty", "Moderator penalty"

    # Indexed by (user, created_at) below: an index on user alone would only cost a write
    # per event.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    positive = models.BooleanField()
    weight = models.FloatField(default=1.0)
    # What the evidence is about, as "<app>.<thing>:<id>", so reputation needs no import
    # of the apps that feed it. Never published: it can point at content.
    subject = models.CharField(max_length=100)
    # A snake_case code saying why (a penalty's reason, "overturned" for a void); public.
    reason = models.CharField(max_length=40, blank=True, default="")
    rule_version = models.PositiveSmallIntegerField(default=1)
    # Whole UTC days since scoring.EPOCH of created_at, kept so sums group by day in SQL.
    day = models.IntegerField(default=0)
    # An event that takes back another entirely (an overturned penalty); at most one per
    # event (the constraint below). Almost every event voids nothing, so the unique index
    # holds only those that do, instead of an entry per event.
    voids = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voided_by",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["voids"],
                condition=models.Q(voids__isnull=False),
                name="reputation_event_voided_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {'+' if self.positive else '-'}{self.weight} for {self.user_id}"


class ReputationDay(models.Model):
    """One person's evidence of one day and the closing state after it; see scoring."""

    # Indexed by the (user, day) constraint below.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.IntegerField()
    gained = models.BigIntegerField(default=0)
    lost = _scaled()
    positive = _scaled()
    total = _scaled()
    candidate = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="reputation_day_once_per_user")
        ]

    def __str__(self) -> str:
        return f"day {self.day} of {self.user_id}"


class ReputationScore(models.Model):
    """Running totals per person, updated with every event (and rebuildable from them).

    `positive_scaled`/`total_scaled` are the exact sums; `positive`, `total`, `score` and
    `level` are their standing at `as_of_day`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    positive_scaled = _scaled()
    total_scaled = _scaled()
    positive = models.FloatField(default=0.0)
    total = models.FloatField(default=0.0)
    score = models.FloatField(default=0.0)
    level = models.PositiveSmallIntegerField(default=1)
    as_of_day = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"level {self.level} ({self.score:.3f})"


class ReputationBatch(models.Model):
    """A run of events committed to the transparency log as one `reputation.batch` leaf."""

    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField(unique=True)
    count = models.PositiveIntegerField()
    root = models.CharField(max_length=64)
    leaf_index = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"events {self.first_event_id}..{self.last_event_id}"


class Penalty(models.Model):
    """A moderator's penalty: a negative event with a reason code, appealable once."""

    class Reason(models.TextChoices):
        LOW_EFFORT = "low_effort", "Low-effort or random answers"
        COPIED = "copied", "Copied or machine-generated work"
        COLLUSION = "collusion", "Collusion in peer review"
        ABUSE = "abuse", "Abuse of other people"
        MULTIPLE_ACCOUNTS = "multiple_accounts", "More than one account"

    class Appeal(models.TextChoices):
        NONE = "", "Not appealed"
        PENDING = "pending", "Appeal pending"
        UPHELD = "upheld", "Appeal refused: the penalty stands"
        OVERTURNED = "overturned", "Appeal granted: the penalty is withdrawn"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=40, choices=Reason.choices)
    explanation = models.TextField(max_length=2000)
    weight = models.FloatField()
    event = models.OneToOneField(ReputationEvent, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    appeal = models.CharField(max_length=20, choices=Appeal.choices, blank=True, default="")
    appeal_text = models.TextField(max_length=2000, blank=True, default="")
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_note = models.TextField(max_length=2000, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["appeal", "appealed_at"])]

    def __str__(self) -> str:
        return f"penalty {self.pk} ({self.reason}) for {self.user_id}"


class PublicProfile(models.Model):
    """What a person chose to show on /u/<public id>/ beyond their level (opt-in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    show_display_name = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"public profile of {self.user_id}"


# --- Peer review --------------------------------------------------------------------------
# An app that owns a piece of work (tasks: an answer) asks for its review with a generic
# subject reference and a snapshot of what a reviewer needs to judge it (never who wrote
# it). Reviewers are handed requests one at a time, blind; the outcome goes back to the
# owner through `reputation.signals.review_decided`.


class ReviewRequest(models.Model):
    """One piece of work waiting for `needed` independent reviews.

    `open_slots` = reviews still wanted - live reservations, kept by
    `reputation.services.reviews` only, under the row's lock, so "may this be handed out"
    is one indexed comparison (as `tasks.Item.open_slots`)."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for reviews"
        DECIDED = "decided", "Decided"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.CharField(max_length=100, unique=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # What the reviewer is shown (instructions, item, answer), chosen by the owning app;
    # it must not identify the author.
    context = models.JSONField()
    needed = models.PositiveSmallIntegerField(default=3)
    open_slots = models.SmallIntegerField()
    reservation_seconds = models.PositiveIntegerField(default=600)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    accepted = models.BooleanField(null=True, blank=True)
    accept_weight = models.FloatField(default=0.0)
    reject_weight = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at", "id"],
                name="reputation_review_open",
                condition=models.Q(state="open", open_slots__gt=0),
            ),
            models.Index(fields=["author", "-created_at"], name="reputation_review_author"),
        ]

    def __str__(self) -> str:
        return f"review of {self.subject}"


class ReviewAssignment(models.Model):
    """One reviewer's one turn at one request: at most one per (request, reviewer), ever,
    and at most one reservation per reviewer at a time."""

    class Status(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        SUBMITTED = "submitted", "Submitted"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Copied from the request so the per-pair limit ("the same reviewer reviews the same
    # author at most a few times in 30 days") is one index probe.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    accept = models.BooleanField(null=True, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True)
    # The reviewer's say in the weighted majority, fixed when the review came in.
    weight = models.FloatField(default=0.0)
    # False while reviewer and author sit in a flagged ring nobody cleared.
    counted = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "reviewer"], name="reputation_review_once"),
            models.UniqueConstraint(
                fields=["reviewer"],
                name="reputation_review_one_live",
                condition=models.Q(status="reserved"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["reviewer", "author", "created_at"], name="reputation_review_pair"
            ),
            models.Index(
                fields=["expires_at"],
                name="reputation_review_live",
                condition=models.Q(status="reserved"),
            ),
        ]

    def __str__(self) -> str:
        return f"review {self.public_id}"


class ReviewRing(models.Model):
    """People who accept each other far more than they accept others, flagged for a
    moderator with the evidence. Their reviews of each other do not count until cleared."""

    class State(models.TextChoices):
        FLAGGED = "flagged", "Flagged"
        CLEARED = "cleared", "Cleared"
        PENALISED = "penalised", "Penalised"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    # Sorted member ids joined by "-": one open flag per group.
    key = models.CharField(max_length=200)
    evidence = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.FLAGGED)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                name="reputation_ring_one_open",
                condition=models.Q(state="flagged"),
            )
        ]

    def __str__(self) -> str:
        return f"ring {self.key} ({self.state})"
