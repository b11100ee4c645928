"""Forms of the host pages. They parse what a browser sends; the rules are the service's."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from community.models import Workshop
from community.models.workshops import Audience

ZONE_CHOICES = [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=LOCAL_FORMAT)


def _local(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=LocalDateTimeInput(),
        help_text=help_text,
    )


class WorkshopForm(forms.Form):
    title = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown: **bold**, *italic*, lists and links.",
    )
    timezone = forms.ChoiceField(
        label="Time zone", choices=ZONE_CHOICES, help_text="The times below are in this zone."
    )
    starts_at = _local("Starts")
    ends_at = _local("Ends")
    capacity = forms.IntegerField(min_value=1, help_text="Seats; more people join a waitlist.")
    online_url = forms.CharField(
        label="Online link",
        required=False,
        help_text="Shown only to people with a confirmed seat.",
    )
    place = forms.CharField(
        required=False, help_text="An address or a room, if it meets in person."
    )
    registration_opens_at = _local(
        "Registration opens", required=False, help_text="Empty: as soon as it is published."
    )
    registration_closes_at = _local(
        "Registration closes", required=False, help_text="Empty: at the start."
    )
    audience = forms.ChoiceField(label="Who may register", choices=Audience.choices)
    min_level = forms.IntegerField(
        label="Minimum reputation level",
        min_value=1,
        max_value=4,
        initial=1,
        help_text="Used when only a minimum level may register.",
    )
    chat_enabled = forms.BooleanField(label="Open a chat room for attendees", required=False)
    cohosts = forms.CharField(
        label="Co-hosts",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E-mail addresses of other hosts, one per line.",
    )

    MOMENTS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")

    @classmethod
    def initial_for(cls, workshop: Workshop) -> dict[str, Any]:
        zone = zoneinfo.ZoneInfo(workshop.timezone)
        initial: dict[str, Any] = {
            name: getattr(workshop, name)
            for name in cls.base_fields
            if name not in ("cohosts", *cls.MOMENTS)
        }
        for name in cls.MOMENTS:
            moment = getattr(workshop, name)
            initial[name] = (
                timezone.localtime(moment, zone).replace(tzinfo=None) if moment else None
            )
        initial["cohosts"] = "\n".join(
            host.email for host in workshop.hosts.all() if host.pk != workshop.created_by_id
        )
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        zone_name = cleaned.get("timezone")
        if not zone_name:
            return cleaned
        zone = zoneinfo.ZoneInfo(zone_name)
        for name in self.MOMENTS:
            value = cleaned.get(name)
            if isinstance(value, datetime):
                # The browser sent wall-clock time in the chosen zone, not in the server's.
                wall = timezone.make_naive(value) if timezone.is_aware(value) else value
                cleaned[name] = timezone.make_aware(wall, zone)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("cohosts", None)
        return data

    def cohost_emails(self) -> list[str]:
        raw = self.cleaned_data.get("cohosts") or ""
        return [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]


class CancelForm(forms.Form):
    message = forms.CharField(
        label="Message to everyone registered",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
