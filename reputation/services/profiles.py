"""The public profile's one choice, as a service."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from reputation.models import PublicProfile


def public_profile_set(*, user: User, show_display_name: bool) -> PublicProfile:
    """Whether the person's display name appears on their public profile (opt-in)."""
    with transaction.atomic(durable=True):
        profile, _ = PublicProfile.objects.update_or_create(
            user=user, defaults={"show_display_name": show_display_name}
        )
    return profile
