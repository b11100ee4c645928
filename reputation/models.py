from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from core.models import AppendOnlyModel


class ReputationEvent(AppendOnlyModel):
    """One immutable piece of evidence; scores are derived from these and can be rebuilt."""

    class Source(models.TextChoices):
        GOLD = "gold", "Gold answer"
        PEER_REVIEW = "peer_review", "Peer review"
        KYC_VOTE = "kyc_vote", "KYC vote"
        WORKSHOP = "workshop", "Workshop attendance"
        PENALTY = "penalty", "Moderator penalty"
        REVIEW_QUALITY = "review_quality", "Review quality"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    positive = models.BooleanField()
    weight = models.FloatField(default=1.0)
    # What the evidence is about, as "<app>.<thing>:<id>", so reputation needs no import
    # of the apps that feed it.
    subject = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.source} {'+' if self.positive else '-'}{self.weight} for {self.user_id}"


class ReputationScore(models.Model):
    """Running totals per person, updated with every event (and rebuildable from them)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    positive = models.FloatField(default=0.0)
    total = models.FloatField(default=0.0)
    score = models.FloatField(default=0.0)
    level = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"level {self.level} ({self.score:.3f})"


# --- Peer review --------------------------------------------------------------------------
# An app that owns a piece of work (tasks: an answer) asks for its review with a generic
# subject reference and a snapshot of what a reviewer needs to judge it (never who wrote
# it). Reviewers are handed requests one at a time, blind; the outcome goes back to the
# owner through `reputation.signals.review_decided`.


class ReviewRequest(models.Model):
    """One piece of work waiting for `needed` independent reviews.

    `open_slots` = reviews still wanted - live reservations, kept by
    `reputation.services_review` only, under the row's lock, so "may this be handed out"
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
