"""Input and output shapes of the workshop API: named fields, types only. The rules (what
a time may be, who may do what) are the services'."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from community import selectors
from community.models.workshops import Attendance

# `errors` cannot be a field of a Serializer class (it is the serializer's own attribute).
FieldErrorsSerializer = inline_serializer(
    name="FieldErrors",
    fields={
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    },
)


class DetailErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class WorkshopInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(
        allow_blank=True, required=False, trim_whitespace=False, help_text="Markdown"
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField(
        required=False, help_text="the host's IANA zone, e.g. Europe/Berlin (shown beside UTC)"
    )
    capacity = serializers.IntegerField()
    online_url = serializers.CharField(
        allow_blank=True, required=False, help_text="shown only to confirmed attendees"
    )
    place = serializers.CharField(allow_blank=True, required=False)
    registration_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    registration_closes_at = serializers.DateTimeField(required=False, allow_null=True)
    # Plain text (checked by the service) rather than a choice, so the schema's enum names
    # do not collide with other apps'.
    audience = serializers.CharField(required=False, help_text="signed_in, verified or level")
    min_level = serializers.IntegerField(required=False, help_text="with audience=level: 2-4")
    chat_enabled = serializers.BooleanField(required=False)
    cohosts = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=9, help_text="public ids"
    )
    publish = serializers.BooleanField(required=False, default=False)


class WorkshopUpdateSerializer(WorkshopInputSerializer):
    title = serializers.CharField(max_length=120, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    capacity = serializers.IntegerField(required=False)
    publish = None  # type: ignore[assignment]


class CancelInputSerializer(serializers.Serializer):
    message = serializers.CharField(allow_blank=True, max_length=2000, trim_whitespace=True)


class HostSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user: Any) -> str:
        profile = getattr(user, "profile", None)
        return getattr(profile, "display_name", "") or "A host"


class RegistrationStateSerializer(serializers.Serializer):
    """What a person's registration is now: confirmed, waitlisted with a position, offered
    with a deadline, or left."""

    id = serializers.UUIDField()
    status = serializers.CharField(
        help_text="confirmed, waitlisted, offered, cancelled, declined or expired"
    )
    position = serializers.IntegerField(
        allow_null=True, help_text="1 = next to be offered a seat; null unless waitlisted"
    )
    offer_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="deadline to accept; null unless offered"
    )
    attendance = serializers.CharField(help_text="unmarked, attended or no_show")
    counted = serializers.BooleanField(help_text="the attendance counts in reputation")


class WorkshopListSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField()
    status = serializers.CharField()
    capacity = serializers.IntegerField()
    seats_left = serializers.IntegerField()
    waitlist = serializers.IntegerField(source="waitlist_count")
    audience = serializers.CharField()
    min_level = serializers.IntegerField()
    my_status = serializers.CharField(allow_null=True, help_text="my registration's status")
    i_host = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_url(self, workshop: Any) -> str:
        return reverse("community-api:workshop", args=[workshop.public_id])


class WorkshopDetailSerializer(WorkshopListSerializer):
    description = serializers.CharField()
    description_html = serializers.CharField()
    hosts = HostSerializer(many=True)
    place = serializers.SerializerMethodField(help_text="for confirmed attendees and hosts")
    online_url = serializers.SerializerMethodField(help_text="for confirmed attendees and hosts")
    registration_opens_at = serializers.DateTimeField(allow_null=True)
    registration_closes_at = serializers.DateTimeField(allow_null=True)
    chat_enabled = serializers.BooleanField()
    sequence = serializers.IntegerField()
    cancel_message = serializers.CharField()
    my_registration = serializers.SerializerMethodField()
    calendar_url = serializers.SerializerMethodField()

    def _sees(self, workshop: Any) -> bool:
        return selectors.may_see_link(
            user=self.context["user"], workshop=workshop, my_status=workshop.my_status
        )

    def get_place(self, workshop: Any) -> str | None:
        return workshop.place if self._sees(workshop) else None

    def get_online_url(self, workshop: Any) -> str | None:
        return workshop.online_url if self._sees(workshop) else None

    def get_calendar_url(self, workshop: Any) -> str:
        return reverse("community-api:workshop-calendar", args=[workshop.public_id])

    @extend_schema_field(RegistrationStateSerializer(allow_null=True))
    def get_my_registration(self, workshop: Any) -> dict[str, Any] | None:
        state = selectors.registration_state(
            selectors.registration_for(user=self.context["user"], workshop=workshop)
        )
        return RegistrationStateSerializer(state).data if state else None


class AttendanceInputSerializer(serializers.Serializer):
    registration = serializers.UUIDField(help_text="the registration's id, from attendees/")
    attendance = serializers.ChoiceField(choices=Attendance.values)


class AttendeeSerializer(serializers.Serializer):
    registration = serializers.UUIDField(source="public_id")
    person = serializers.UUIDField(source="user.public_id")
    display_name = serializers.CharField(source="user.profile.display_name")
    email = serializers.EmailField(source="user.email")
    status = serializers.CharField()
    attendance = serializers.CharField()
    no_shows = serializers.IntegerField(help_text="no-shows after a confirmed seat, anywhere")
    counted = serializers.SerializerMethodField()

    def get_counted(self, registration: Any) -> bool:
        return registration.reputation_recorded_at is not None


class CalendarTokenSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="the secret feed URL, shown only this once")
