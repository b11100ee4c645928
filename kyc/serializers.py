from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from kyc.models import Case, CheckResult, DocumentKind, DocumentType, ReasonCode


class CaseInputSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    surname = serializers.CharField(max_length=80)
    given_names = serializers.CharField(max_length=120)
    birth_date = serializers.DateField()
    nationality = serializers.CharField(max_length=3)
    issuing_state = serializers.CharField(max_length=3)
    document_number = serializers.RegexField(r"^[A-Za-z0-9]{1,20}$", max_length=20)
    expiry_date = serializers.DateField()
    mrz = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(allow_empty_file=False)


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject", "request_resubmission"])
    reason_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=ReasonCode.choices), min_length=1
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    resubmission_reasons = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class QueueQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["in_review", "escalated", "appealed"], required=False)
    country = serializers.RegexField(r"^[A-Za-z]{1,3}$", required=False)
    flag = serializers.RegexField(r"^[a-z_]{1,40}$", required=False)
    # Ten years: anything longer is a typo, and would overflow the date arithmetic.
    older_than_hours = serializers.IntegerField(
        min_value=0, max_value=24 * 365 * 10, required=False
    )


class CheckOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckResult
        fields = ["name", "passed", "code", "detail"]


class CaseOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    checks = CheckOutputSerializer(many=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "state",
            "document_type",
            "surname",
            "given_names",
            "birth_date",
            "nationality",
            "issuing_state",
            "document_number",
            "expiry_date",
            "risk_flags",
            "reason_codes",
            "resubmission_reasons",
            "submitted_at",
            "decided_at",
            "checks",
        ]


class QueueCaseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    claimed = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "state",
            "document_type",
            "issuing_state",
            "risk_flags",
            "submitted_at",
            "claimed",
        ]

    def get_claimed(self, case: Case) -> bool:
        return bool(
            case.claimed_by_id and case.claim_expires_at and case.claim_expires_at > timezone.now()
        )


class VoteInputSerializer(serializers.Serializer):
    answer = serializers.BooleanField()


class VoteOut(serializers.Serializer):
    id = serializers.CharField(help_text="the check's id")
    answer = serializers.BooleanField()


class CheckOut(serializers.Serializer):
    """One redacted question about someone else's case: no typed fields, only the images
    the question needs."""

    id = serializers.CharField()
    question = serializers.CharField(help_text="machine name of the question")
    text = serializers.CharField(help_text="the question, for a person to read")
    images = serializers.ListField(
        child=serializers.URLField(), help_text="watermarked crops, served to this validator"
    )


class SlaOut(serializers.Serializer):
    waiting = serializers.IntegerField()
    median_hours_to_decision = serializers.FloatField(allow_null=True)
    p90_hours_to_decision = serializers.FloatField(allow_null=True)
    decided_last_30_days = serializers.IntegerField()


class ErasedOut(serializers.Serializer):
    erased_documents = serializers.IntegerField(help_text="document images deleted just now")


class PersonalDataCheckOut(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField()
    code = serializers.CharField()
    detail = serializers.CharField()


class PersonalDataDocumentOut(serializers.Serializer):
    kind = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    sha256 = serializers.CharField()
    deleted_at = serializers.DateTimeField(allow_null=True)


class PersonalDataEventOut(serializers.Serializer):
    action = serializers.CharField()
    to = serializers.CharField()
    at = serializers.DateTimeField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a keyword, so the field is added by name.
        fields["from"] = serializers.CharField()
        return fields


class PersonalDataCaseOut(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.CharField()
    document_type = serializers.CharField()
    surname = serializers.CharField()
    given_names = serializers.CharField()
    birth_date = serializers.DateField()
    nationality = serializers.CharField()
    issuing_state = serializers.CharField()
    document_number = serializers.CharField()
    expiry_date = serializers.DateField()
    mrz = serializers.CharField()
    risk_flags = serializers.ListField(child=serializers.CharField())
    reason_codes = serializers.ListField(child=serializers.CharField())
    resubmission_reasons = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    checks = PersonalDataCheckOut(many=True)
    documents = PersonalDataDocumentOut(many=True)
    history = PersonalDataEventOut(many=True)


class PersonalDataOut(serializers.Serializer):
    cases = PersonalDataCaseOut(many=True)
