from __future__ import annotations

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
