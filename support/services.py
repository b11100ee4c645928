"""Writes of the support app: sending a contact message and marking it handled."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict, Forbidden, InvalidInput, RetryLater
from support.models import ContactMessage, Topic

# A person (or, signed out, an address on the network) may send this many messages per
# window: enough to follow up on a first message, too few to flood the moderators.
MESSAGES_PER_WINDOW = 5
WINDOW_SECONDS = 3600
MAX_BODY = 5000


class TooManyMessages(RetryLater):
    status_code = 429


def _count_against_limit(sender_key: str) -> None:
    # Counted before the write, so a burst cannot race past the limit; a refused message
    # still counts, which only makes the wait longer for whoever keeps trying.
    key = "support:contact:" + hashlib.sha256(sender_key.encode()).hexdigest()
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    if count > MESSAGES_PER_WINDOW:
        raise TooManyMessages(
            "You have sent several messages in the last hour; the moderators will answer "
            "those first. Please try again later.",
            retry_after=WINDOW_SECONDS,
        )


def contact_message_send(
    *, sender: User | None, reply_to: str, topic: str, body: str, client_address: str
) -> ContactMessage:
    """Record a message for the moderators. Anonymous senders must leave an address."""
    body = body.strip()
    if topic not in Topic.values:
        raise InvalidInput("Choose a topic from the list.", field="topic")
    if not body:
        raise InvalidInput("Write your message.", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"Keep it under {MAX_BODY} characters.", field="body")
    if sender is None and not reply_to:
        raise InvalidInput("Leave an e-mail address so we can answer.", field="reply_to")
    _count_against_limit(f"user:{sender.pk}" if sender else f"address:{client_address}")
    with transaction.atomic(durable=True):
        return ContactMessage.objects.create(
            sender=sender,
            reply_to="" if sender else reply_to,
            topic=topic,
            body=body,
        )


def contact_message_mark_handled(*, message: ContactMessage, moderator: User) -> ContactMessage:
    if not moderator.has_perm("accounts.moderate_community"):
        raise Forbidden("Only moderators handle contact messages.")
    with transaction.atomic(durable=True):
        locked = ContactMessage.objects.select_for_update().get(pk=message.pk)
        if locked.handled_at is not None:
            raise Conflict("Another moderator already handled this message.")
        locked.handled_at = timezone.now()
        locked.handled_by = moderator
        locked.save(update_fields=["handled_at", "handled_by"])
    return locked
