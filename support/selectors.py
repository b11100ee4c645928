"""Reads of the support app."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from core.errors import Forbidden, NotFound
from support.models import ContactMessage

INBOX_LIMIT = 200


def _require_moderator(user: User) -> None:
    if not user.has_perm("accounts.moderate_community"):
        raise Forbidden("Only moderators read contact messages.")


def inbox(*, moderator: User, handled: bool = False) -> QuerySet[ContactMessage]:
    """Open messages oldest first (the one waiting longest is answered first); handled
    ones newest first."""
    _require_moderator(moderator)
    messages = ContactMessage.objects.filter(handled_at__isnull=not handled).select_related(
        "sender", "handled_by"
    )
    return messages.order_by("-handled_at" if handled else "created_at")[:INBOX_LIMIT]


def message_for_moderator(*, moderator: User, public_id: str | UUID) -> ContactMessage:
    _require_moderator(moderator)
    try:
        key = UUID(str(public_id))
    except ValueError:
        raise NotFound("No such message.") from None
    message = ContactMessage.objects.filter(public_id=key).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def open_message_count(*, moderator: User) -> int:
    _require_moderator(moderator)
    return ContactMessage.objects.filter(handled_at__isnull=True).count()


def messages_of(*, user: User) -> list[dict[str, object]]:
    """A person's own contact messages, for their data-access request."""
    return [
        {
            "topic": message.topic,
            "message": message.body,
            "sent_at": message.created_at.isoformat(),
            "handled_at": message.handled_at.isoformat() if message.handled_at else None,
        }
        for message in ContactMessage.objects.filter(sender=user).order_by("created_at", "pk")
    ]
