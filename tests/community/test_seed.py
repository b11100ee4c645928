from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from community.models import Registration, Workshop
from community.models.workshops import WorkshopStatus
from community.selectors import waitlist_position
from reputation.models import ReputationEvent

pytestmark = pytest.mark.django_db


def test_demo_workshops_show_every_state_and_are_seeded_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    call_command("seed_demo")
    assert Workshop.objects.count() == 3
    full = Workshop.objects.get(title__startswith="Welcome")
    assert (full.status, full.seats_left, full.waitlist_count) == (WorkshopStatus.PUBLISHED, 0, 2)
    waiting = Registration.objects.get(workshop=full, user__email="pioneer@example.com")
    assert waitlist_position(waiting) == 1
    offer = Registration.objects.get(
        workshop__title__startswith="Validator training", user__email="verified@example.com"
    )
    assert offer.status == "offered"
    ended = Workshop.objects.get(status=WorkshopStatus.FINISHED)
    counted = ReputationEvent.objects.filter(subject=f"community.workshop:{ended.public_id}")
    assert sorted(counted.values_list("user__email", "positive")) == [
        ("pioneer@example.com", False),
        ("validator@example.com", True),
        ("verified@example.com", True),
    ]


def test_demo_chat_has_a_lounge_conversation_and_a_workshop_room() -> None:
    from community.models import Room

    call_command("seed_demo")
    call_command("seed_demo")
    lounge = Room.objects.get(slug="lounge")
    assert lounge.messages.count() == 4
    assert [m.seq for m in lounge.messages.order_by("seq")] == [1, 2, 3, 4]
    workshop_room = Room.objects.get(kind="workshop")
    assert workshop_room.workshop.title.startswith("Welcome")
    assert workshop_room.messages.count() == 1
