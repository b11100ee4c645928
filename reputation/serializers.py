from __future__ import annotations

from rest_framework import serializers

from reputation.models import Penalty


class AfterQuery(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, required=False, default=0, help_text="return items with a larger id"
    )
    limit = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=500)

    def to_internal_value(self, data: object) -> object:
        # Query strings repeat keys; only the first value of each counts.
        getter = getattr(data, "get", None)
        values = {key: getter(key) for key in data} if getter else data  # type: ignore[attr-defined]
        return super().to_internal_value(values)


class PublicEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.CharField(help_text="keyed pseudonym (64 hex), as in the ledger")
    source = serializers.CharField()  # type: ignore[assignment]
    positive = serializers.BooleanField(help_text="the outcome: good (true) or bad (false)")
    weight = serializers.FloatField(help_text="in (0, 10], whole thousandths")
    reason = serializers.CharField(allow_blank=True, help_text="a snake_case code, or empty")
    rule_version = serializers.IntegerField()
    at = serializers.CharField(help_text="UTC time, e.g. 2026-11-23T08:00:00Z")
    voids = serializers.IntegerField(
        allow_null=True, help_text="id of the event this one takes back entirely"
    )


class EventPageOut(serializers.Serializer):
    results = PublicEventOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="the next page, or null at the end")


class BatchOut(serializers.Serializer):
    first = serializers.IntegerField(source="first_event_id")
    last = serializers.IntegerField(source="last_event_id")
    count = serializers.IntegerField()
    root = serializers.CharField(  # type: ignore[assignment]
        help_text="hex Merkle root of the events' canonical JSON"
    )
    leaf_index = serializers.IntegerField(help_text="index of the reputation.batch leaf")


class BatchPageOut(serializers.Serializer):
    results = BatchOut(many=True)
    next = serializers.CharField(allow_null=True)


class RulesOut(serializers.Serializer):
    rule_version = serializers.IntegerField()
    half_life_days = serializers.FloatField()
    daily_gain_cap = serializers.FloatField(help_text="weight of gains that count per UTC day")
    grace_days = serializers.IntegerField()
    levels = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="[minimum evidence, minimum score] for levels 2, 3, 4",
    )


class PublicScoreOut(serializers.Serializer):
    person = serializers.CharField()
    score = serializers.FloatField()
    evidence = serializers.FloatField(help_text="decayed weighted count of outcomes")
    level = serializers.IntegerField()


class ScorePageOut(serializers.Serializer):
    as_of = serializers.CharField(help_text="the instant the scores hold at (UTC)")
    day = serializers.IntegerField(help_text="whole UTC days since 2020-01-01")
    through_event = serializers.IntegerField(help_text="the last event id the scores include")
    rules = RulesOut()
    results = PublicScoreOut(many=True)
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)


class MyEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]
    positive = serializers.BooleanField()
    weight = serializers.FloatField()
    reason = serializers.CharField(allow_blank=True)
    words = serializers.CharField(help_text="what happened, for the person to read")
    at = serializers.DateTimeField(source="created_at")


class MyDayOut(serializers.Serializer):
    date = serializers.DateField()
    score = serializers.FloatField()


class NextStepOut(serializers.Serializer):
    level = serializers.IntegerField()
    gains = serializers.IntegerField(allow_null=True)
    words = serializers.CharField()


class PenaltyOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reason = serializers.CharField()
    reason_words = serializers.CharField(source="get_reason_display")
    explanation = serializers.CharField()
    weight = serializers.FloatField()
    created_at = serializers.DateTimeField()
    appeal = serializers.CharField(allow_blank=True, help_text="'', pending, upheld, overturned")
    appeal_text = serializers.CharField(allow_blank=True)
    appeal_note = serializers.CharField(allow_blank=True)
    can_appeal = serializers.SerializerMethodField()

    def get_can_appeal(self, penalty: Penalty) -> bool:
        return penalty.appeal == Penalty.Appeal.NONE


class MyReputationOut(serializers.Serializer):
    score = serializers.FloatField()
    evidence = serializers.FloatField()
    level = serializers.IntegerField()
    privileges = serializers.ListField(child=serializers.CharField())
    next_step = NextStepOut(allow_null=True)
    history = MyDayOut(many=True, help_text="score at the close of each active day")
    events = MyEventOut(many=True, help_text="the latest 50 events, newest first")
    penalties = PenaltyOut(many=True)


class PenaltyIn(serializers.Serializer):
    person = serializers.UUIDField(help_text="the person's public id")
    reason = serializers.ChoiceField(choices=Penalty.Reason.choices)
    explanation = serializers.CharField(max_length=2000)
    weight = serializers.FloatField(min_value=0.001, max_value=10, default=5.0)


class AppealIn(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["upheld", "overturned"])
    note = serializers.CharField(max_length=2000)
