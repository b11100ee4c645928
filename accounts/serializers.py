from __future__ import annotations

from django.conf import global_settings
from django_countries import countries
from rest_framework import serializers

LANGUAGE_CHOICES = [code for code, _ in global_settings.LANGUAGES]


class NextStepSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text="the next level")
    gains = serializers.IntegerField(
        allow_null=True, help_text="good outcomes (and no bad ones) that would reach it"
    )
    words = serializers.CharField(help_text="what it needs and unlocks, for a person to read")


class MeOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    display_name = serializers.CharField(source="profile.display_name")
    country = serializers.CharField(source="profile.country.code", allow_blank=True)
    languages = serializers.ListField(child=serializers.CharField(), source="profile.languages")
    avatar_url = serializers.SerializerMethodField()
    roles = serializers.ListField(child=serializers.CharField())
    email_verified = serializers.BooleanField()
    mfa_enabled = serializers.BooleanField()
    is_verified = serializers.BooleanField()
    verified_at = serializers.DateTimeField(allow_null=True)
    reputation_level = serializers.IntegerField(allow_null=True)
    reputation_next_step = NextStepSerializer(
        allow_null=True, help_text="what the next reputation level needs; null at the top"
    )
    date_joined = serializers.DateTimeField()

    def get_avatar_url(self, user: object) -> str | None:
        avatar = user.profile.avatar  # type: ignore[attr-defined]
        return avatar.url if avatar else None


class ProfileInputSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=60, allow_blank=True, required=False)
    country = serializers.ChoiceField(choices=[("", ""), *list(countries)], required=False)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES), max_length=10, required=False
    )


class NotificationSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField(help_text="one of the kinds listed by the settings endpoint")
    title = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True, help_text="a path inside the site, or empty")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationsReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(),
        max_length=200,
        required=False,
        help_text="the notifications to mark read; ids of others' notifications mark nothing",
    )
    all = serializers.BooleanField(required=False, help_text="true: mark every one read")

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if bool(attrs.get("all")) == ("ids" in attrs):
            raise serializers.ValidationError(
                {"ids": ["Give either `ids` or `all: true`, not both or neither."]}
            )
        return attrs


class NotificationsReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="how many were unread and are read now")
    unread_count = serializers.IntegerField()


class NotificationKindSettingSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    emailable = serializers.BooleanField(
        help_text="false for kinds whose news the app mails by itself, with more detail"
    )
    email = serializers.BooleanField(help_text="e-mailed when the person has no page open")


class NotificationSettingsSerializer(serializers.Serializer):
    kinds = NotificationKindSettingSerializer(many=True)


class NotificationSettingsInputSerializer(serializers.Serializer):
    email = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="kind -> whether to e-mail it when away; kinds not named keep their choice",
    )
