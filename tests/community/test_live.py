"""Live updates over the real `/ws/feed/` socket and channel layer (Redis under CI)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from community.models import Registration
from community.selectors import can_watch_workshop
from community.services import registrations
from tests.accounts.helpers import connected as feed_socket
from tests.accounts.helpers import next_event
from tests.community.conftest import T0, in_own_loop

pytestmark = pytest.mark.django_db(transaction=True)


def test_seats_and_the_offer_reach_open_pages(make_workshop: Any, members: Any) -> None:
    workshop = make_workshop(capacity=1)
    seated, waiting, watcher = members(3)
    registrations.registration_create(workshop=workshop, user=seated, now=T0)

    async def scenario() -> None:
        watcher_socket = await feed_socket(watcher)
        waiting_socket = await feed_socket(waiting)
        try:
            topic = f"workshop:{workshop.public_id}"
            await watcher_socket.send_json_to({"type": "subscribe", "topic": topic})
            assert await watcher_socket.receive_json_from(timeout=5) == {
                "type": "subscribed",
                "topic": topic,
            }
            await sync_to_async(registrations.registration_create)(
                workshop=workshop, user=waiting, now=T0
            )
            seats = await next_event(watcher_socket, "workshop.seats")
            assert seats == {
                "type": "workshop.seats",
                "workshop": str(workshop.public_id),
                "capacity": 1,
                "seats_left": 0,
                "waitlist": 1,
                "status": "published",
            }
            mine = await next_event(waiting_socket, "workshop.registration")
            assert mine["status"] == "waitlisted"

            seat = await sync_to_async(Registration.objects.get)(user=seated)
            await sync_to_async(registrations.registration_cancel)(
                registration=seat, user=seated, now=T0
            )
            offer = await next_event(waiting_socket, "workshop.registration")
            assert offer["status"] == "offered"
            assert offer["offer_expires_at"]
            assert "accept it by" in offer["message"]
            seats = await next_event(watcher_socket, "workshop.seats")
            assert (seats["seats_left"], seats["waitlist"]) == (0, 0)  # the offer holds it
        finally:
            await watcher_socket.disconnect()
            await waiting_socket.disconnect()

    in_own_loop(scenario)


def test_only_people_who_may_see_a_workshop_may_watch_it(
    make_workshop: Any, member: Any, moderator: Any
) -> None:
    draft = make_workshop(publish=False)
    published = make_workshop()
    assert can_watch_workshop(member, str(published.public_id))
    assert not can_watch_workshop(member, str(draft.public_id))
    assert can_watch_workshop(moderator, str(draft.public_id))
    assert not can_watch_workshop(member, "not-a-uuid")

    async def scenario() -> None:
        socket = await feed_socket(member)
        try:
            topic = f"workshop:{draft.public_id}"
            await socket.send_json_to({"type": "subscribe", "topic": topic})
            refused = await socket.receive_json_from(timeout=5)
            assert refused == {"type": "error", "topic": topic, "detail": "Not allowed."}
        finally:
            await socket.disconnect()

    in_own_loop(scenario)
