"""The secret token behind a person's calendar subscription URL.

Only the token's SHA-256 is stored: the URL is shown once, and a reset replaces it, which
revokes the old URL at once.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from django.db import transaction

from community.models import CalendarFeed
from community.selectors import token_digest

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def calendar_token_reset(*, user: User) -> str:
    """A new secret for `user`'s feed (the old URL stops working); returns the token."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        CalendarFeed.objects.update_or_create(
            user=user, defaults={"token_hash": token_digest(token)}
        )
    logger.info("calendar feed token reset user=%s", user.public_id)
    return token


def calendar_token_revoke(*, user: User) -> bool:
    """Stop the feed; False when there was none."""
    with transaction.atomic(durable=True):
        deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        logger.info("calendar feed revoked user=%s", user.public_id)
    return bool(deleted)
