"""Writes to a person's account: roles, identity verification, and closing it."""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import Profile, User
from accounts.roles import Role
from core.errors import Conflict

logger = logging.getLogger(__name__)

CLOSED_EMAIL_DOMAIN = "closed.invalid"


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


def user_close(*, user: User) -> User:
    """Close an account at its owner's request: nobody can sign in to it again, and what
    identifies the person in accounts (address, password, second factors, profile) goes.

    The row stays, under a placeholder address, because records other apps must keep
    (credits, decided identity cases, audit events) point to it. Their identity documents
    are the kyc app's to erase, before this runs. Other sessions end: the password hash
    changes, which Django checks on every request, and the sockets close on commit.
    """
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
