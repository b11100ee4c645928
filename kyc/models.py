from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import AppendOnlyModel


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHECKING = "checking", "Automatic checks running"
    IN_REVIEW = "in_review", "In review"
    ESCALATED = "escalated", "Escalated to a moderator"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RESUBMISSION_REQUESTED = "resubmission_requested", "Resubmission requested"
    APPEALED = "appealed", "Appealed"


OPEN_STATES = [s for s in State.values if s not in {State.APPROVED, State.REJECTED}]


class DocumentType(models.TextChoices):
    PASSPORT = "passport", "Passport"
    ID_CARD = "id_card", "Identity card"
    RESIDENCE_PERMIT = "residence_permit", "Residence permit"


class ReasonCode(models.TextChoices):
    DOCUMENTS_OK = "documents_ok", "Documents and selfie check out"
    DOCUMENT_UNREADABLE = "document_unreadable", "The document is not readable"
    DOCUMENT_EXPIRED = "document_expired", "The document has expired"
    DOCUMENT_ALTERED = "document_altered", "The document looks altered"
    SELFIE_MISMATCH = "selfie_mismatch", "The selfie does not match the document"
    MRZ_MISMATCH = "mrz_mismatch", "The machine-readable zone does not match the form"
    UNDERAGE = "underage", "Below the minimum age"
    DUPLICATE_IDENTITY = (
        "duplicate_identity",
        "This identity is already verified on another account",
    )
    OTHER = "other", "Other (see note)"


class Case(models.Model):
    """One identity verification attempt; resubmission continues the same case."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kyc_cases"
    )
    state = models.CharField(max_length=32, choices=State.choices, default=State.DRAFT)
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    surname = models.CharField(max_length=80)
    given_names = models.CharField(max_length=120)
    birth_date = models.DateField()
    nationality = models.CharField(max_length=3)
    issuing_state = models.CharField(max_length=3)
    document_number = models.CharField(max_length=20)
    expiry_date = models.DateField()
    mrz = models.TextField(blank=True)
    # HMAC of document number + issuing state + birth date: finds a second account for one
    # identity without keeping a searchable copy of the number.
    identity_hash = models.CharField(max_length=64, blank=True, db_index=True)
    risk_flags = models.JSONField(default=list, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The transparency log's entry of the latest decision, so the person can check it.
    decision_entry = models.BigIntegerField(null=True, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    decision_note = models.TextField(blank=True)
    resubmission_reasons = models.TextField(blank=True, help_text="shown to the pioneer")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state__in=OPEN_STATES),
                name="kyc_one_open_case_per_user",
            )
        ]
        indexes = [
            models.Index(fields=["state", "submitted_at"]),
            # The moderator queue: waiting cases, oldest first, without sorting the table.
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(state__in=["in_review", "escalated", "appealed"]),
                name="kyc_queue_order",
            ),
            # The queue's live count of waiting cases. Its few distinct keys deduplicate
            # to a fifth of the pages of the queue order index, which the count read before.
            models.Index(
                fields=["state"],
                condition=Q(state__in=["in_review", "escalated", "appealed"]),
                name="kyc_waiting",
            ),
            # The queue page's service figures read the last 30 days of decisions; without
            # this they read every case ever made. With the submission time in the index
            # they read it alone, not the table.
            models.Index(
                fields=["decided_at"],
                include=["submitted_at"],
                condition=Q(decided_at__isnull=False),
                name="kyc_decided_at",
            ),
        ]
        permissions = [("view_kyc_documents", "Can view KYC document images")]

    def __str__(self) -> str:
        return f"case {self.public_id} ({self.state})"


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front", "Document front"
    ID_BACK = "id_back", "Document back"
    SELFIE = "selfie", "Selfie"


class Document(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    # Encrypted bytes in the default storage under a random name; never a public URL.
    file_name = models.CharField(max_length=200, blank=True)
    key_id = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64, help_text="of the re-encoded, unencrypted image")
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    blank = models.BooleanField(default=False, help_text="almost no variation in the pixels")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(purged_at__isnull=True),
                name="kyc_one_live_document_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of case {self.case_id}"


class CheckResult(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=40)
    passed = models.BooleanField()
    code = models.CharField(max_length=60, help_text="machine-readable outcome")
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "name"], name="kyc_one_result_per_check")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.code}"


class CaseEvent(AppendOnlyModel):
    """Audit trail: who moved the case from which state to which, when and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}->{self.to_state}"


class DocumentAccess(AppendOnlyModel):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="accesses")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"view of document {self.document_id}"


class Question(models.TextChoices):
    SELFIE_MATCHES = (
        "selfie_matches_document",
        "Is the person in the selfie the person on the document?",
    )
    DOCUMENT_GENUINE = "document_readable_unaltered", "Is the document readable and unaltered?"


class ValidatorVote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="votes")
    validator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    question = models.CharField(max_length=40, choices=Question.choices)
    answer = models.BooleanField()
    weight = models.FloatField(default=1.0)
    # Filled when the case is finally approved or rejected; feeds reputation.
    agreed_with_decision = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "validator", "question"], name="kyc_one_vote_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question}={self.answer} on case {self.case_id}"


class ValidatorStanding(models.Model):
    """A validator paused for low accuracy, and why; no row means in good standing."""

    validator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="shown to the validator")

    def __str__(self) -> str:
        return f"validator {self.validator_id} {'paused' if self.paused_at else 'active'}"


class CheckAssignment(models.Model):
    """One question about one case, handed to one validator until it expires.

    A validator reaches a case's images and vote only through an assignment of theirs that
    is still open: `check_next` creates it, the vote closes it, and a declared conflict
    gives it back. The id shown to the validator is this row's, never the case's.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="check_assignments")
    validator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    question = models.CharField(max_length=40, choices=Question.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True, help_text="answered or given back")

    class Meta:
        indexes = [
            # The validator's open check, looked up on every request of theirs.
            models.Index(
                fields=["validator"],
                condition=Q(closed_at__isnull=True),
                name="kyc_assignment_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.question} on case {self.case_id}"


class ReviewConflict(AppendOnlyModel):
    """A moderator or validator said they cannot judge this person impartially (family,
    friend, colleague...). It is about the person, so it covers their later cases too."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, on_delete=models.SET_NULL, related_name="+", help_text="declared on"
    )
    # Kept for whoever audits conflicts; never copied into the case history.
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "subject"], name="kyc_one_conflict_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"conflict of {self.reviewer_id} with {self.subject_id}"
