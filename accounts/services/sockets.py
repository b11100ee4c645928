"""The one way to push an event to a person's open pages, and to close their sockets.

Every `/ws/feed/` socket joins its person's group (`feed_group`) and its session's group
(`session_group`); events and close requests go to those groups once the transaction
commits. A connected or pinging socket marks its person present (`presence_key`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from accounts.models import User
from accounts.realtime import topic_group

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


# feed.js pings every 25 s; a socket not heard from for this long is gone.
PRESENCE_SECONDS = 60


def presence_key(user_id: int) -> str:
    return f"accounts:feed-seen:{user_id}"
