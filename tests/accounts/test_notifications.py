"""Notifications: kept with read state, told live, e-mailed per the person's settings only
when they are away, purged once read and old."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts import selectors
from accounts.models import Notification, NotificationSetting
from accounts.notification_kinds import KINDS
from accounts.services.notifications import (
    BODY_MAX,
    notification_email,
    notification_send,
    notification_settings_update,
    notifications_mark_read,
    notifications_purge,
)
from accounts.services.sockets import PRESENCE_SECONDS, presence_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def send(user: Any, kind: str = "kyc.decision", **fields: Any) -> Notification:
    fields.setdefault("title", "Your identity is verified")
    fields.setdefault("body", "The task feed is open to you.")
    fields.setdefault("url", "/kyc/")
    return notification_send(user=user, kind=kind, **fields)


def test_a_notification_is_kept_unread_and_mailed_to_an_away_person(
    user: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.SITE_URL = "https://pioneer.example"
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(user)
    assert notification.recipient == user
    assert notification.read_at is None
    assert selectors.notifications_unread_count(user=user) == 1
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Your identity is verified"
    assert "The task feed is open to you." in message.body
    assert "Open it: https://pioneer.example/kyc/" in message.body
    assert "https://pioneer.example/notifications/#settings" in message.body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_nothing_is_kept_or_sent_when_the_caller_rolls_back(
    user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def decide_and_fail() -> None:
        with transaction.atomic():
            send(user)
            raise RuntimeError("the decision failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        decide_and_fail()
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("kind", "setting", "mailed"),
    [
        ("kyc.decision", None, True),  # on by default
        ("kyc.decision", False, False),  # the person turned it off
        ("project.paused", None, False),  # off by default
        ("project.paused", True, True),  # the person turned it on
        ("chat.mention", None, True),  # defined for chat, on by default
        ("review.outcome", None, True),  # defined for peer review, on by default
        ("workshop.registration", None, False),  # the workshop mails these itself
    ],
)
def test_email_follows_the_setting_of_the_kind(
    user: Any,
    django_capture_on_commit_callbacks: Any,
    kind: str,
    setting: bool | None,
    mailed: bool,
) -> None:
    if setting is not None:
        notification_settings_update(user=user, email={kind: setting})
    with django_capture_on_commit_callbacks(execute=True):
        send(user, kind=kind)
    assert len(mail.outbox) == (1 if mailed else 0)


def test_a_person_with_an_open_page_is_not_mailed(
    user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cache.set(presence_key(user.pk), 1, timeout=PRESENCE_SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(user)
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_the_mail_job_sends_once_and_not_after_reading(
    user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    reader, other = user_factory(), user_factory()
    # Queued while present, so the job did nothing yet.
    cache.set(presence_key(reader.pk), 1)
    cache.set(presence_key(other.pk), 1)
    read_first = send(reader)
    unread = send(other)
    cache.clear()
    notifications_mark_read(user=reader)
    assert notification_email(notification_id=read_first.pk) is False
    assert notification_email(notification_id=unread.pk) is True
    assert notification_email(notification_id=unread.pk) is False  # a second delivery
    assert [message.to for message in mail.outbox] == [[other.email]]


def test_mark_read_touches_only_the_callers_own(user_factory: Any) -> None:
    owner, stranger = user_factory(), user_factory()
    first, second = send(owner), send(owner)
    foreign = send(stranger)
    marked = notifications_mark_read(user=owner, public_ids=[first.public_id, foreign.public_id])
    assert marked == 1
    assert selectors.notifications_unread_count(user=owner) == 1
    assert selectors.notifications_unread_count(user=stranger) == 1
    assert notifications_mark_read(user=owner) == 1
    second.refresh_from_db()
    assert second.read_at is not None
    assert notifications_mark_read(user=owner) == 0


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "chat.whisper"}, "unknown notification kind"),
        ({"title": "  "}, "title"),
        ({"url": "https://evil.example/"}, "path inside the site"),
        ({"url": "//evil.example/"}, "path inside the site"),
        ({"url": "/a b"}, "path inside the site"),
    ],
)
def test_a_malformed_notification_is_a_bug_of_the_caller(
    user: Any, fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        send(user, **fields)
    assert not Notification.objects.exists()


def test_a_long_body_is_shortened(user: Any) -> None:
    notification = send(user, body="x" * 5000)
    assert len(notification.body) == BODY_MAX


@pytest.mark.parametrize(
    ("email", "field_message"),
    [
        ({"chat.whisper": True}, "Unknown notification kind"),
        ({"kyc.decision": "yes"}, "true or false"),
        ({"workshop.registration": True}, "not sent by e-mail"),
    ],
)
def test_settings_refuse_what_cannot_be(
    user: Any, email: dict[str, Any], field_message: str
) -> None:
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput, match=field_message) as refused:
        notification_settings_update(user=user, email=email)
    assert refused.value.field == "email"
    assert not NotificationSetting.objects.exists()


def test_settings_list_every_kind_with_the_persons_choice(
    user: Any, django_assert_num_queries: Any
) -> None:
    notification_settings_update(user=user, email={"chat.mention": False})
    with django_assert_num_queries(1):
        rows = selectors.notification_settings(user=user)
    by_kind = {row["kind"]: row for row in rows}
    assert set(by_kind) == set(KINDS)
    assert by_kind["chat.mention"]["email"] is False
    assert by_kind["review.outcome"]["email"] is True
    assert by_kind["workshop.registration"] == {
        **by_kind["workshop.registration"],
        "email": False,
        "emailable": False,
    }


def test_purge_deletes_only_old_read_notifications(user: Any, settings: Any) -> None:
    settings.NOTIFICATIONS_READ_RETENTION_DAYS = 90
    old_read, old_unread, recent_read = send(user), send(user), send(user)
    long_ago = timezone.now() - timedelta(days=91)
    Notification.objects.filter(pk=old_read.pk).update(read_at=long_ago, created_at=long_ago)
    Notification.objects.filter(pk=old_unread.pk).update(created_at=long_ago)
    Notification.objects.filter(pk=recent_read.pk).update(read_at=timezone.now())
    assert notifications_purge() == 1
    assert set(Notification.objects.values_list("pk", flat=True)) == {
        old_unread.pk,
        recent_read.pk,
    }


def test_purge_runs_daily_from_beat(settings: Any) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["accounts: purge read notifications"]
    assert schedule == {"task": "accounts.tasks.purge_read_notifications", "schedule": 86400.0}


def test_a_second_call_with_the_same_once_key_tells_nobody(
    user_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person, other = user_factory(), user_factory()
    with django_capture_on_commit_callbacks(execute=True):
        first = send(person, once_key="offer:1")
        again = send(person, once_key="offer:1")
        for_someone_else = send(other, once_key="offer:1")
    assert again == first
    assert for_someone_else != first
    assert Notification.objects.count() == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted([person.email, other.email])
