"""A pioneer reads their reputation page and their public profile, on a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from reputation.services.events import event_record
from tests.e2e.conftest import Journey, open_menu_on_a_phone, sign_in

pytestmark = pytest.mark.e2e


def test_reputation_page_and_public_profile(
    journey: Journey, transactional_db: None, user_factory: Any
) -> None:
    person = user_factory(verified=True)
    person.profile.display_name = "Grace Labeller"
    person.profile.save()
    start = datetime.now(UTC) - timedelta(days=4)
    for day in range(5):
        for n in range(4):
            event_record(
                user=person,
                source="gold",
                positive=not (day == 0 and n == 3),
                subject=f"t.a:{day}.{n}",
                at=start + timedelta(days=day),
            )
    page = journey.page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, person.email)
    expect(page.get_by_test_id("reputation-next-step")).to_contain_text("more good outcomes")
    open_menu_on_a_phone(page)
    page.get_by_role("link", name="Reputation").first.click()
    expect(page.get_by_role("heading", name="Level 2")).to_be_visible()
    expect(page.get_by_test_id("score-chart")).to_be_visible()
    expect(page.get_by_test_id("reputation-events")).to_contain_text(
        "Wrong answer to a gold question"
    )
    expect(page.get_by_test_id("next-step")).to_contain_text("reach level 3")
    journey.shot("my-reputation")

    # Keyboard only: tick the opt-in and save it.
    page.get_by_label("Show my display name on my public profile").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your public profile is updated.")).to_be_visible()

    page.get_by_role("link", name="your public profile").click()
    expect(page.get_by_test_id("profile-name")).to_have_text("Grace Labeller")
    expect(page.get_by_test_id("profile-level")).to_have_text("Level 2")
    expect(page.get_by_test_id("profile-privileges")).to_contain_text(
        "review other people's answers"
    )
    journey.shot("public-profile")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
