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
