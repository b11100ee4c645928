"""Moderator penalties: a person's own, the appeals waiting for a moderator, the latest."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from reputation.models import Penalty


def penalties_of(*, user: User) -> QuerySet[Penalty]:
    return Penalty.objects.filter(user=user).select_related("event").order_by("-created_at")


def appeals_pending() -> QuerySet[Penalty]:
    return (
        Penalty.objects.filter(appeal=Penalty.Appeal.PENDING)
        .select_related("user", "moderator")
        .order_by("appealed_at")
    )


def penalties_recent(limit: int = 50) -> list[Penalty]:
    return list(
        Penalty.objects.select_related("user", "moderator", "decided_by").order_by("-created_at")[
            :limit
        ]
    )
