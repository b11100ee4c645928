from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from reputation.models import ReviewRequest
from reputation.selectors.standing import has_privilege, user_level

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_demo_accounts_have_reputation_and_reviews_to_do(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    call_command("seed_demo")
    validator = User.objects.get(email="validator@example.com")
    author = User.objects.get(email="verified@example.com")
    assert user_level(user=validator) == 3
    assert has_privilege(validator, "review_peers")
    assert user_level(user=author) == 1
    assert ReviewRequest.objects.filter(author=author, state="open").count() == 3
    client = Client()
    client.force_login(validator)
    client.post("/reviews/next/")
    page = client.get("/reviews/").content.decode()
    assert "Describe the picture in one sentence" in page
    assert "verified@example.com" not in page
