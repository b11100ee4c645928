"""Projects, their items, reservations (assignments), answers, gold scores and credits.

Counters on Item are kept by `tasks.services` only, always under the item's row lock:
`open_slots` = overlap - submitted answers - live reservations, so "may this item be handed
out" is one indexed comparison and the next-item query never counts rows.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    SINGLE_LABEL = "single_label", "Single label"
    MULTI_LABEL = "multi_label", "Multiple labels"
    PAIRWISE = "pairwise", "Pairwise preference"
    RATING = "rating", "Rating scale"
    FREE_TEXT = "free_text", "Free text"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class Project(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="task_projects"
    )
    title = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The requester's Markdown, and the sanitized HTML rendered from it by the service.
    instructions = models.TextField(blank=True)
    instructions_html = models.TextField(blank=True, editable=False)
    labels = models.JSONField(default=list, blank=True)
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    text_max_length = models.PositiveIntegerField(default=2000)
    overlap = models.PositiveSmallIntegerField(default=3)
    reward = models.PositiveIntegerField(default=1, help_text="points per accepted answer")
    reservation_timeout = models.PositiveIntegerField(default=600, help_text="seconds")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    min_level = models.PositiveSmallIntegerField(default=1)
    gold_rate = models.FloatField(default=0.1, help_text="share of assignments that are gold")
    gold_min_accuracy = models.FloatField(default=0.7)
    gold_min_answers = models.PositiveSmallIntegerField(
        default=3, help_text="gold answers before accuracy can pause someone"
    )
    # Share of answers sent to blind peer review; the default depends on the kind
    # (`kinds.default_review_rate`), set when the project is created.
    review_rate = models.FloatField(default=0.0, help_text="share of answers peers review")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "min_level"], name="tasks_project_feed")]

    def __str__(self) -> str:
        return self.title


class Item(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    ref = models.CharField(max_length=200, blank=True, help_text="the requester's own id")
    payload = models.JSONField()
    is_gold = models.BooleanField(default=False)
    gold_answer = models.JSONField(null=True, blank=True)
    open_slots = models.SmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The next-item scan: only items that still take answers, in upload order.
            models.Index(
                fields=["project", "id"],
                name="tasks_item_open",
                condition=Q(open_slots__gt=0, is_gold=False),
            ),
            models.Index(
                fields=["project", "id"], name="tasks_item_gold", condition=Q(is_gold=True)
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.public_id}"


class AssignmentStatus(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    SUBMITTED = "submitted", "Submitted"
    SKIPPED = "skipped", "Skipped"
    EXPIRED = "expired", "Expired"


class Assignment(models.Model):
    """One pioneer's one turn at one item. At most one per (item, pioneer), ever: an item
    someone answered, skipped or let expire is never handed to them again. At most one
    reserved per (project, pioneer): a second `next` returns the first."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assignments")
    # No index of their own: the (item, pioneer) and (pioneer, status) indexes below lead
    # with them, and every index is written again on each claim and answer.
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    pioneer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="task_assignments",
        db_index=False,
    )
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.RESERVED
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    warned = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "pioneer"], name="tasks_assignment_once"),
            # One reservation at a time per pioneer and project, whatever races.
            models.UniqueConstraint(
                fields=["project", "pioneer"],
                name="tasks_assignment_one_live",
                condition=Q(status="reserved"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="tasks_assignment_live",
                condition=Q(status="reserved"),
            ),
            models.Index(fields=["pioneer", "status"], name="tasks_assignment_pioneer"),
        ]

    def __str__(self) -> str:
        return f"assignment {self.public_id}"


class Answer(models.Model):
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="answer")
    # Indexed by the (project, item) index below.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="answers")
    pioneer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_answers"
    )
    value = models.JSONField()
    is_gold = models.BooleanField(default=False)
    gold_correct = models.BooleanField(null=True, blank=True)
    # The pioneer's gold accuracy on this project when the answer came in (provenance).
    gold_accuracy = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["project", "item"], name="tasks_answer_project")]

    def __str__(self) -> str:
        return f"answer to {self.item_id}"


class GoldScore(models.Model):
    """Running gold accuracy of one pioneer on one project; pauses them below threshold."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_scores")
    pioneer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gold_scores"
    )
    seen = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "pioneer"], name="tasks_gold_score_once"),
        ]

    def __str__(self) -> str:
        return f"gold score {self.pioneer_id}@{self.project_id}"

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.seen if self.seen else None


class ImmutableError(Exception):
    pass


class CreditQuerySet(models.QuerySet["Credit"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableError("credits are immutable; add a correcting row instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError("credits are immutable; add a correcting row instead")


class Credit(models.Model):
    """Reward points, one immutable row per accepted answer; a balance is their sum."""

    pioneer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="task_credits"
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="credits")
    answer = models.OneToOneField(
        Answer, on_delete=models.PROTECT, null=True, blank=True, related_name="credit"
    )
    points = models.IntegerField()
    reason = models.CharField(max_length=40, default="answer_accepted")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[Any] = CreditQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.points} points for {self.pioneer_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError("credits are immutable; add a correcting row instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("credits are immutable; add a correcting row instead")


class DatasetExport(models.Model):
    """Each export's hash, as recorded in the ledger (the bytes themselves are not kept)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    format = models.CharField(max_length=5)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    items = models.PositiveIntegerField()
    answers = models.PositiveIntegerField()
    exported_at = models.DateTimeField()
    ledger_index = models.BigIntegerField()

    class Meta:
        ordering = ["-exported_at"]

    def __str__(self) -> str:
        return f"export {self.public_id}"


class AuditEvent(models.Model):
    """What happened to a project and by whom: the requester-side audit trail."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} on {self.project_id}"
