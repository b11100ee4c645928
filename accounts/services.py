"""Writes to accounts, and the one way to push an event to a person's open pages."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from typing import IO, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import global_settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_countries import countries

from accounts.models import Profile, User, avatar_path
from accounts.realtime import topic_group
from accounts.roles import Role
from core.errors import Conflict, InvalidInput
from core.images import sanitize_image

logger = logging.getLogger(__name__)

LANGUAGE_CODES = frozenset(code for code, _ in global_settings.LANGUAGES)
MAX_LANGUAGES = 10
AVATAR_MAX_BYTES = 2 * 1024 * 1024


# Close codes of /ws/feed/ that a server-side event asks for (4000-4999 are the
# application's). 4401 mirrors HTTP 401: the session has ended, reconnecting will not help.
# 4001: the credentials changed; reconnect, and the handshake decides afresh whether this
# session still counts.
CLOSE_SESSION_ENDED = 4401
CLOSE_REAUTHENTICATE = 4001


def feed_group(user_id: int) -> str:
    return f"feed.user.{user_id}"


def session_group(session_key: str) -> str:
    """The group of the sockets opened with one session. The key is a bearer secret and
    group names are stored in Redis in the clear, so the group is named by its hash."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return f"feed.session.{digest}"


def sockets_close_for_session(*, session_key: str) -> None:
    """Close every `/ws/feed/` socket opened with this session (on sign-out), after commit."""
    _group_send_on_commit(
        session_group(session_key), {"type": "feed.close", "code": CLOSE_SESSION_ENDED}
    )


def sockets_close_for_user(*, user_id: int) -> None:
    """Close every `/ws/feed/` socket of a person (password changed or reset), after commit.

    Each reconnects and the handshake checks its session again: the one that changed the
    password stays signed in, the others were invalidated with the old password.
    """
    _group_send_on_commit(feed_group(user_id), {"type": "feed.close", "code": CLOSE_REAUTHENTICATE})


def _group_send_on_commit(group: str, message: dict[str, Any]) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(group, message)

    transaction.on_commit(send)


def notify_user(*, user: User, event: dict[str, Any]) -> None:
    """Send `event` to every `/ws/feed/` socket `user` has open, once the transaction commits.

    A rolled-back change must tell nobody anything, so the send waits for commit; outside a
    transaction it happens at once. `event` must be JSON and carry a `type`.
    """
    _send_on_commit(feed_group(user.pk), event)


def _send_on_commit(group: str, event: dict[str, Any]) -> None:
    if not isinstance(event.get("type"), str):
        raise ValueError("an event needs a string 'type'")
    json.dumps(event)  # fail here, in the caller's stack, not later in the socket
    _group_send_on_commit(group, {"type": "feed.event", "event": event})


def notify_topic(*, topic: str, event: dict[str, Any]) -> None:
    """Send `event` to every socket subscribed to `topic` (see accounts.realtime), on commit."""
    _send_on_commit(topic_group(topic), event)


def user_grant_role(*, user: User, role: Role) -> None:
    user.groups.add(Group.objects.get(name=role.value))
    logger.debug("role granted user=%s role=%s", user.public_id, role.value)


def user_revoke_role(*, user: User, role: Role) -> None:
    user.groups.remove(Group.objects.get(name=role.value))
    logger.debug("role revoked user=%s role=%s", user.public_id, role.value)


@transaction.atomic
def user_set_verified(*, user: User) -> User:
    """Mark a person identity-verified. Only the KYC decision calls this, inside its own
    transaction (so this one is not durable)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.verified_at is not None:
        raise Conflict("This person is already verified.")
    locked.verified_at = timezone.now()
    locked.save(update_fields=["verified_at"])
    user.verified_at = locked.verified_at
    return locked


@transaction.atomic
def user_clear_verified(*, user: User) -> User:
    """Withdraw verification (a successful appeal against approval, a fraud finding), inside
    the deciding service's transaction."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.verified_at = None
    locked.save(update_fields=["verified_at"])
    user.verified_at = None
    return locked


def _clean_languages(languages: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for code in languages:
        if not isinstance(code, str) or code not in LANGUAGE_CODES:
            raise InvalidInput(f"Unknown language code: {code!r}.", field="languages")
        if code not in cleaned:
            cleaned.append(code)
    if len(cleaned) > MAX_LANGUAGES:
        raise InvalidInput(f"Choose at most {MAX_LANGUAGES} languages.", field="languages")
    return cleaned


def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    country: str | None = None,
    languages: Iterable[str] | None = None,
    avatar: IO[bytes] | None = None,
) -> Profile:
    """Change the given profile fields; fields left as None keep their value.

    A new avatar is validated and re-encoded before anything is written; its file is
    stored before the row, removed again if the row does not commit, and the file it
    replaces is removed only after the commit: no orphan either way.
    """
    updates: dict[str, Any] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if len(display_name) > 60:
            raise InvalidInput("Use at most 60 characters.", field="display_name")
        updates["display_name"] = display_name
    if country is not None:
        if country and country not in countries:
            raise InvalidInput(f"Unknown country code: {country!r}.", field="country")
        updates["country"] = country
    if languages is not None:
        updates["languages"] = _clean_languages(languages)
    clean_avatar = (
        sanitize_image(
            avatar,
            field="avatar",
            holder=str(user.public_id),
            max_bytes=AVATAR_MAX_BYTES,
            max_side=512,
        )
        if avatar is not None
        else None
    )

    storage = Profile._meta.get_field("avatar").storage  # type: ignore[attr-defined]
    new_avatar = (
        storage.save(avatar_path(None, "avatar.png"), ContentFile(clean_avatar.content))
        if clean_avatar
        else None
    )
    try:
        with transaction.atomic(durable=True):
            profile = Profile.objects.select_for_update().get(user=user)
            old_avatar = profile.avatar.name or None
            for name, value in updates.items():
                setattr(profile, name, value)
            if new_avatar:
                profile.avatar.name = new_avatar
                updates["avatar"] = new_avatar
                if old_avatar:
                    transaction.on_commit(lambda: storage.delete(old_avatar))
            if updates:
                profile.save(update_fields=[*updates, "updated_at"])
    except BaseException:
        if new_avatar:
            storage.delete(new_avatar)
        raise
    return profile


CLOSED_EMAIL_DOMAIN = "closed.invalid"


def user_close(*, user: User) -> User:
    """Close an account at its owner's request: nobody can sign in to it again, and what
    identifies the person in accounts (address, password, second factors, profile) goes.

    The row stays, under a placeholder address, because records other apps must keep
    (credits, decided identity cases, audit events) point to it. Their identity documents
    are the kyc app's to erase, before this runs. Other sessions end: the password hash
    changes, which Django checks on every request, and the sockets close on commit.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise Conflict("This account is already closed.")
        locked.email = f"closed-{locked.public_id.hex}@{CLOSED_EMAIL_DOMAIN}"
        locked.set_unusable_password()
        locked.is_active = False
        locked.is_staff = False
        locked.is_superuser = False
        locked.save(update_fields=["email", "password", "is_active", "is_staff", "is_superuser"])
        locked.groups.clear()
        locked.user_permissions.clear()
        EmailAddress.objects.filter(user=locked).delete()
        Authenticator.objects.filter(user=locked).delete()
        profile = Profile.objects.select_for_update().get(user=locked)
        avatar = profile.avatar.name
        profile.display_name = ""
        profile.country = ""
        profile.languages = []
        profile.avatar = ""  # type: ignore[assignment]
        profile.save(update_fields=["display_name", "country", "languages", "avatar", "updated_at"])
        if avatar:
            storage = Profile._meta.get_field("avatar").storage  # type: ignore[attr-defined]
            transaction.on_commit(lambda: storage.delete(avatar))
    logger.info("account closed user=%s", locked.public_id)
    return locked
