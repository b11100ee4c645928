"""Writes to a person's public profile: display name, country, languages, avatar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from django.conf import global_settings
from django.core.files.base import ContentFile
from django.db import transaction
from django_countries import countries

from accounts.models import Profile, User, avatar_path
from core.errors import InvalidInput
from core.images import sanitize_image

LANGUAGE_CODES = frozenset(code for code, _ in global_settings.LANGUAGES)
MAX_LANGUAGES = 10
AVATAR_MAX_BYTES = 2 * 1024 * 1024


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
