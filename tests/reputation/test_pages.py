"""Reputation pages: mine, the public profile, and the moderators' penalties page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.roles import Role
from reputation.models import Penalty, ReputationEvent
from reputation.services.events import event_record
from reputation.services.profiles import public_profile_set
from tests.conftest import pages_client, sign_in_with_totp

pytestmark = pytest.mark.django_db


def _history(user: Any, days: int = 5) -> None:
    start = datetime.now(UTC) - timedelta(days=days)
    for day in range(days + 1):
        for n in range(3):
            event_record(
                user=user,
                source="gold",
                positive=n != 2,
                subject=f"t.a:{day}.{n}",
                at=start + timedelta(days=day),
            )


def test_my_page_shows_level_next_step_chart_and_reasons(
    user: Any, django_assert_max_num_queries: Any
) -> None:
    _history(user)
    client = Client()
    client.force_login(user)
    with django_assert_max_num_queries(14):
        page = client.get("/reputation/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert html.count("<circle") == 6  # one point per day with events
    assert "more good outcomes" in html
    assert "Correct answer to a gold question" in html
    assert "Wrong answer to a gold question" in html


def test_the_dashboard_shows_the_level_and_the_next_step(user: Any) -> None:
    client = Client()
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    assert 'data-testid="reputation-next-step"' in html
    assert "10 more good outcomes" in html


def test_the_public_profile_shows_a_name_only_when_chosen(user_factory: Any) -> None:
    person = user_factory()
    person.profile.display_name = "Ada Reviewer"
    person.profile.save()
    for n in range(12):
        event_record(user=person, source="gold", positive=True, subject=f"t.a:{n}")
    html = Client().get(f"/u/{person.public_id}/").content.decode()
    assert "Level 2" in html
    assert "review other people&#x27;s answers" in html
    assert "Ada Reviewer" not in html
    assert person.email not in html
    public_profile_set(user=person, show_display_name=True)
    assert "Ada Reviewer" in Client().get(f"/u/{person.public_id}/").content.decode()
    assert Client().get("/u/not-a-uuid/").status_code == 404


def test_the_opt_in_is_saved_from_my_page(user: Any) -> None:
    client = Client()
    client.force_login(user)
    response = client.post("/reputation/visibility/", {"show_display_name": "on"})
    assert response.status_code == 302
    assert "checked" in client.get("/reputation/").content.decode()


def test_moderators_penalise_and_decide_appeals_on_pages(user_factory: Any) -> None:
    person = user_factory()
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    staff = pages_client(sign_in_with_totp(APIClient(), moderator))
    assert staff.get("/reputation/moderation/").status_code == 200
    refused = staff.post(
        "/reputation/moderation/penalise/",
        {"person": str(person.public_id), "reason": "copied", "explanation": "", "weight": "5"},
    )
    assert refused.status_code == 400
    assert Penalty.objects.count() == 0
    done = staff.post(
        "/reputation/moderation/penalise/",
        {
            "person": str(person.public_id),
            "reason": "copied",
            "explanation": "Copied.",
            "weight": "5",
        },
    )
    assert done.status_code == 302
    penalty = Penalty.objects.get()
    mine = Client()
    mine.force_login(person)
    assert "Copied or machine-generated work" in mine.get("/reputation/").content.decode()
    mine.post(f"/reputation/penalties/{penalty.public_id}/appeal/", {"text": "It is mine."})
    assert "It is mine." in staff.get("/reputation/moderation/").content.decode()
    prefix = str(penalty.public_id)
    decided = staff.post(
        f"/reputation/moderation/{penalty.public_id}/decide/",
        {f"{prefix}-decision": "overturned", f"{prefix}-note": "Checked: original work."},
    )
    assert decided.status_code == 302
    assert ReputationEvent.objects.filter(voids__isnull=False).count() == 1
    assert "Appeal granted" in mine.get("/reputation/").content.decode()


def test_the_moderation_page_is_for_moderators_after_their_second_factor(user_factory: Any) -> None:
    pioneer = Client()
    pioneer.force_login(user_factory())
    assert pioneer.get("/reputation/moderation/").status_code == 403
    no_second_factor = Client()
    no_second_factor.force_login(user_factory(roles=[Role.MODERATOR]))
    page = no_second_factor.get("/reputation/moderation/")
    assert page.status_code == 403
    assert "Penalise" not in page.content.decode()
