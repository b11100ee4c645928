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
