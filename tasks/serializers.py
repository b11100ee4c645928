from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import FiniteFloatField
from tasks import kinds


@extend_schema_field({"type": "string", "enum": list(kinds.KINDS)})
class ProjectKindField(serializers.CharField):
    """Plain text to the serializer (the service checks it and words the error); an enum
    in the OpenAPI schema, named `ProjectKindEnum` there so it is not taken for KYC's
    document kinds."""


@extend_schema_field({"type": "object", "minProperties": 1, "additionalProperties": True})
class ItemPayloadField(serializers.DictField):
    pass


class ProjectInputSerializer(serializers.Serializer):
    """Types only; ranges and the rules that depend on the kind and state are the service's."""

    title = serializers.CharField(max_length=120)
    kind = ProjectKindField()
    instructions = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False)
    labels = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    scale_min = serializers.IntegerField(required=False)
    scale_max = serializers.IntegerField(required=False)
    text_max_length = serializers.IntegerField(required=False)
    overlap = serializers.IntegerField(required=False)
    reward = serializers.IntegerField(required=False)
    reservation_timeout = serializers.IntegerField(required=False)
    min_level = serializers.IntegerField(required=False)
    gold_rate = FiniteFloatField(required=False)
    gold_min_accuracy = FiniteFloatField(required=False)
    gold_min_answers = serializers.IntegerField(required=False)
    review_rate = FiniteFloatField(
        required=False,
        help_text="share of answers peers review, 0 to 1; by default 1 for free text and "
        "ratings, 0 for label kinds",
    )


class ProjectUpdateSerializer(ProjectInputSerializer):
    title = serializers.CharField(max_length=120, required=False)
    kind = ProjectKindField(required=False, help_text="fixed once created")


class FeedProjectSerializer(serializers.Serializer):
    """What a pioneer sees: no gold settings, nothing that tells gold items apart."""

    id = serializers.UUIDField(source="public_id")
    title = serializers.CharField()
    kind = serializers.CharField()
    instructions_html = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    scale_min = serializers.IntegerField()
    scale_max = serializers.IntegerField()
    text_max_length = serializers.IntegerField()
    reward = serializers.IntegerField()
    reservation_timeout = serializers.IntegerField()
    min_level = serializers.IntegerField()
    state = serializers.CharField()
    remaining_items = serializers.IntegerField(default=None, allow_null=True)
    remaining_answers = serializers.IntegerField(default=None, allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True, help_text="null until published")


class OwnerProjectSerializer(FeedProjectSerializer):
    instructions = serializers.CharField()
    overlap = serializers.IntegerField()
    gold_rate = serializers.FloatField()
    gold_min_accuracy = serializers.FloatField()
    gold_min_answers = serializers.IntegerField()
    review_rate = serializers.FloatField()
    created_at = serializers.DateTimeField()


class ItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    payload = serializers.JSONField()


class AssignmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    project = serializers.UUIDField(source="project.public_id")
    item = ItemSerializer()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class AnswerInputSerializer(serializers.Serializer):
    value = serializers.JSONField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "value" not in attrs:
            raise serializers.ValidationError({"value": ["This field is required."]})
        return attrs


class AnswerOutputSerializer(serializers.Serializer):
    # No gold verdict here: the answer to a gold item must look like any other.
    assignment = serializers.UUIDField(source="assignment.public_id")
    value = serializers.JSONField()
    created_at = serializers.DateTimeField()


class UploadOutputSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    gold = serializers.IntegerField()


class ResultRowSerializer(serializers.Serializer):
    item = serializers.UUIDField()
    ref = serializers.CharField()
    label = serializers.JSONField()  # type: ignore[assignment]
    confidence = serializers.FloatField(allow_null=True)
    method = serializers.CharField(allow_null=True)
    answers = serializers.IntegerField()


class CreditSerializer(serializers.Serializer):
    project = serializers.UUIDField(source="project.public_id")
    points = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class AgreementSerializer(serializers.Serializer):
    alpha = serializers.FloatField(allow_null=True)
    level = serializers.CharField(allow_null=True)
    items = serializers.IntegerField()
    pioneers = serializers.IntegerField()
    sampled = serializers.BooleanField()
    confidence_histogram = serializers.ListField(child=serializers.IntegerField())
    label_counts = serializers.DictField(child=serializers.IntegerField())


class GoldAccuracySerializer(serializers.Serializer):
    pioneer = serializers.CharField(help_text="keyed pseudonym")
    gold_answers = serializers.IntegerField()
    gold_correct = serializers.IntegerField()
    accuracy = serializers.FloatField()
    paused = serializers.BooleanField()


class ExportRecordSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    format = serializers.CharField()
    sha256 = serializers.CharField()
    items = serializers.IntegerField()
    answers = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    ledger_index = serializers.IntegerField()
    proof_url = serializers.CharField()


class ResultsOutputSerializer(serializers.Serializer):
    project = serializers.UUIDField()
    method = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    results = ResultRowSerializer(many=True)
    agreement = AgreementSerializer()
    gold_accuracy = GoldAccuracySerializer(many=True)
    exports = ExportRecordSerializer(many=True)


class CreditPageSerializer(serializers.Serializer):
    """One cursor page of credit rows, with the balance over all of them."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CreditSerializer(many=True)
    balance = serializers.IntegerField(help_text="the sum of every credit row, not just this page")


class ItemInputSerializer(serializers.Serializer):
    """One item of an upload (documentation only: uploads are read as a stream)."""

    payload = ItemPayloadField(help_text="what the pioneer is shown")
    ref = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="the requester's own id"
    )
    gold = serializers.JSONField(
        required=False, allow_null=True, help_text="the known answer, for a gold item"
    )
