"""Notifications over `/ws/feed/`: the bell's event, the caller's own event, the read
count on every open page, and presence that keeps a person with an open page from mail."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.core.cache import cache

from accounts.services.notifications import notification_send, notifications_mark_read
from accounts.services.sockets import presence_key
from tests.accounts.helpers import connected

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery", "close_worker_connections"),
]


async def test_an_open_page_hears_the_notification_and_the_read_count(user: Any) -> None:
    socket = await connected(user)
    try:
        await sync_to_async(notification_send)(
            user=user,
            kind="kyc.decision",
            title="Your identity is verified",
            url="/kyc/",
            event={"type": "kyc.decision", "outcome": "approved"},
        )
        assert await socket.receive_json_from(timeout=5) == {
            "type": "kyc.decision",
            "outcome": "approved",
        }
        told = await socket.receive_json_from(timeout=5)
        assert told["type"] == "notification"
        assert told["unread_count"] == 1
        assert told["notification"]["title"] == "Your identity is verified"
        assert told["notification"]["url"] == "/kyc/"
        await sync_to_async(notifications_mark_read)(user=user)
        assert await socket.receive_json_from(timeout=5) == {
            "type": "notification.read",
            "unread_count": 0,
        }
        # The page was open: the bell showed it, so no mail went.
        assert mail.outbox == []
    finally:
        await socket.disconnect()


async def test_presence_lasts_while_a_socket_is_open(user: Any) -> None:
    key = presence_key(user.pk)
    socket = await connected(user)
    assert await cache.aget(key)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    assert await cache.aget(key)
    await socket.disconnect()
    assert await cache.aget(key) is None
    await sync_to_async(notification_send)(
        user=user, kind="kyc.decision", title="Your identity is verified"
    )
    assert [message.subject for message in mail.outbox] == ["Your identity is verified"]
