from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from accounts.models import Notification, NotificationSetting, User
from accounts.notification_kinds import KINDS


def user_role_names(*, user: User) -> list[str]:
    return sorted(group.name for group in user.groups.all())


def user_email_verified(*, user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def user_mfa_enabled(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_for_me(*, user_id: int) -> User:
    """The signed-in user with what `/me` and the dashboard show, in a fixed number of queries."""
    return User.objects.select_related("profile").prefetch_related("groups").get(pk=user_id)


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """A person's own notifications, newest first (the list's cursor orders by -pk too)."""
    return Notification.objects.filter(recipient=user).order_by("-pk")


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_settings(*, user: User) -> list[dict[str, Any]]:
    """Every kind with the person's e-mail choice (their own, else the default), in one query."""
    chosen = dict(NotificationSetting.objects.filter(user=user).values_list("kind", "email"))
    return [
        {
            "kind": kind.key,
            "label": kind.label,
            "description": kind.description,
            "emailable": kind.emailable,
            "email": kind.emailable and chosen.get(kind.key, kind.email_default),
        }
        for kind in KINDS.values()
    ]
