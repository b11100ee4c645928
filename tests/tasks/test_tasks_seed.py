from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from tasks.models import Item, Project, State
from tasks.services.feed import item_claim_next

pytestmark = pytest.mark.django_db


def test_demo_project_is_seeded_once_and_workable_by_the_verified_pioneer() -> None:
    call_command("seed_demo")
    call_command("seed_demo")
    # The sentiment project (seed_reviews adds a free-text one for peer review).
    [project] = Project.objects.filter(kind="single_label")
    assert project.state == State.PUBLISHED
    assert project.owner.email == "requester@example.com"
    assert Item.objects.filter(project=project, is_gold=True).exists()
    verified = User.objects.get(email="verified@example.com")
    claim = item_claim_next(project=project, pioneer=verified)
    assert claim is not None
