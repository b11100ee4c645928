"""A decision reaches the pioneer as a kept notification (accounts.notification_send),
e-mailed per their own setting; a decision that rolls back tells nobody anything."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import Role
from accounts.services.notifications import notification_settings_update
from kyc.models import Case, State
from kyc.services import moderation
from tests.kyc.conftest import case_fields

pytestmark = pytest.mark.django_db


def case_in_review(owner: Any) -> Case:
    values = case_fields()
    for name in ("birth_date", "expiry_date"):
        values[name] = datetime.date.fromisoformat(values[name])
    return Case.objects.create(
        user=owner, state=State.IN_REVIEW, submitted_at=timezone.now(), **values
    )


@pytest.mark.parametrize("mail_wanted", [True, False])
def test_the_decision_is_kept_and_mailed_per_the_setting(
    user_factory: Any, django_capture_on_commit_callbacks: Any, mail_wanted: bool
) -> None:
    pioneer = user_factory()
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    notification_settings_update(user=pioneer, email={"kyc.decision": mail_wanted})
    case = case_in_review(pioneer)
    moderation.case_claim(case=case, moderator=moderator)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.case_decide(
            case=case, moderator=moderator, decision="approve", reason_codes=["documents_ok"]
        )
    [notification] = Notification.objects.filter(recipient=pioneer)
    assert notification.kind == "kyc.decision"
    assert notification.url == "/kyc/"
    assert "verified" in notification.body
    assert notification.read_at is None
    assert [message.to for message in mail.outbox] == ([[pioneer.email]] if mail_wanted else [])
    assert not Notification.objects.filter(recipient=moderator).exists()
