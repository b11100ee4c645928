from __future__ import annotations

import logging
import uuid
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from accounts.models import Notification, NotificationSetting, User
from accounts.notification_kinds import KINDS

logger = logging.getLogger(__name__)

# The bell's count is cached per person under a version token that the notification
# services replace whenever the count may change (a notification sent, some marked read):
# see `notifications_unread_changed` in accounts.services.notifications. The TTL only
# bounds how long a count could outlive a replacement that never reached the cache (Redis
# down at that moment).
UNREAD_COUNT_SECONDS = 600
UNREAD_VERSION_SECONDS = 24 * 3600


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


def unread_version_key(user_id: int) -> str:
    return f"notifications:unread:version:{user_id}"


def notifications_unread_count_uncached(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_unread_count(*, user: User) -> int:
    """How many of the person's notifications are unread: the bell on every page, without
    a query while nothing changed.

    The count is stored under the version token read before counting. A count taken
    while a change commits is stored under the token that the change then replaces, so
    nobody reads it: a stale count never outlives the change. Inside a transaction it is
    counted, neither read from nor stored in the cache: the transaction may have changed
    the count itself, and may yet roll back. Any failure of the cache falls back to
    counting, so a page never fails for the bell."""
    if connection.in_atomic_block:
        return notifications_unread_count_uncached(user=user)
    try:
        version = cache.get_or_set(
            unread_version_key(user.pk), uuid.uuid4().hex, timeout=UNREAD_VERSION_SECONDS
        )
        key = f"notifications:unread:{user.pk}:{version}"
        cached = cache.get(key)
    except Exception:
        logger.warning("unread count cache unavailable user=%s", user.pk, exc_info=True)
        return notifications_unread_count_uncached(user=user)
    if isinstance(cached, int):
        return cached
    count = notifications_unread_count_uncached(user=user)
    try:
        cache.set(key, count, timeout=UNREAD_COUNT_SECONDS)
    except Exception:
        logger.warning("unread count cache unavailable user=%s", user.pk, exc_info=True)
    return count


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
