"""Workshop news that the person did not cause is kept as a notification: a seat offer
and a cancellation, e-mailed per the person's settings, and a lapsed offer (which the
workshop mails itself); the answer to their own click is only shown live."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from accounts.models import Notification
from accounts.services.notifications import notification_settings_update
from community.models import Registration
from community.services import announcements, registrations, workshops
from tests.community.conftest import T0

pytestmark = pytest.mark.django_db


def kinds_of(person: Any) -> list[str]:
    return list(
        Notification.objects.filter(recipient=person).order_by("pk").values_list("kind", flat=True)
    )


def test_an_offer_is_kept_and_mailed_unless_turned_off(
    make_workshop: Any, members: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=1)
    seated, first, second = members(3)
    notification_settings_update(user=second, email={"workshop.offer": False})
    with django_capture_on_commit_callbacks(execute=True):
        seat = registrations.registration_create(
            workshop=workshop, user=seated, now=T0
        ).registration
        registrations.registration_create(workshop=workshop, user=first, now=T0)
        registrations.registration_create(workshop=workshop, user=second, now=T0)
    # Registering (their own click) is told live and mailed by the workshop, not kept.
    assert kinds_of(seated) == kinds_of(first) == []
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration=seat, user=seated, now=T0)
    [offer] = Notification.objects.filter(recipient=first)
    assert offer.kind == "workshop.offer"
    assert offer.url == f"/workshops/{workshop.public_id}/"
    assert "accept by" in offer.body
    [message] = mail.outbox
    assert message.to == [first.email]
    assert message.subject == offer.title
    # The first declines: the second gets the offer on the bell, but no mail (turned off).
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.offer_decline(
            registration=Registration.objects.get(user=first), user=first, now=T0
        )
    assert kinds_of(first) == ["workshop.offer"]  # declining was their own doing
    assert kinds_of(second) == ["workshop.offer"]
    assert mail.outbox == []


def test_a_cancellation_is_kept_and_mailed_per_setting(
    make_workshop: Any, members: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=5)
    keen, quiet = members(2)
    notification_settings_update(user=quiet, email={"workshop.cancelled": False})
    for person in (keen, quiet):
        registrations.registration_create(workshop=workshop, user=person, now=T0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workshops.workshop_cancel(
            workshop=workshop, actor=moderator, message="The speaker is ill.", now=T0
        )
    assert kinds_of(keen) == kinds_of(quiet) == ["workshop.cancelled"]
    assert [message.to for message in mail.outbox] == [[keen.email]]
    assert "The speaker is ill." in mail.outbox[0].body


def test_an_announcement_delivered_twice_notifies_once(
    make_workshop: Any, members: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workshop = make_workshop(capacity=1)
    seated, waiting = members(2)
    seat = registrations.registration_create(workshop=workshop, user=seated, now=T0).registration
    registrations.registration_create(workshop=workshop, user=waiting, now=T0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration=seat, user=seated, now=T0)
    offer = Registration.objects.get(user=waiting)
    # The broker delivers the job again (late acknowledgement after a lost worker).
    with django_capture_on_commit_callbacks(execute=True):
        assert announcements.registration_announce(registration_id=offer.pk, kind="offered")
    assert kinds_of(waiting) == ["workshop.offer"]
    assert len(mail.outbox) == 1
