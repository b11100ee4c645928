from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from kyc.models import Case, State


@pytest.mark.django_db
def test_seed_kyc_is_idempotent_and_leaves_a_case_to_review(
    eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_kyc")
    call_command("seed_kyc")
    [case] = Case.objects.all()
    assert case.state == State.IN_REVIEW
    assert case.risk_flags == []
    assert case.documents.count() == 2


@pytest.mark.django_db
def test_demo_moderator_and_validator_can_work_the_demo_case(
    eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    from accounts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
    from accounts.models import User
    from tests.conftest import sign_in_with_totp

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    applicant_case = Case.objects.get(user__email="applicant@example.com")
    validator = Client()
    validator.force_login(User.objects.get(email="validator@example.com"))
    check = validator.get("/api/v1/kyc/checks/next/").json()
    assert check["images"]
    for url in check["images"]:
        assert validator.get(url).status_code == 200
    moderator = sign_in_with_totp(
        Client(),
        User.objects.get(email="moderator@example.com"),
        secret=DEMO_TOTP_SECRET,
        password=DEMO_PASSWORD,
    )
    queue = moderator.get("/api/v1/kyc/queue/").json()["results"]
    assert [row["id"] for row in queue] == [str(applicant_case.public_id)]
    assert moderator.post(f"/api/v1/kyc/cases/{applicant_case.public_id}/claim/").status_code == 200
