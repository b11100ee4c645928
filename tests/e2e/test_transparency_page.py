"""An auditor without an account looks up an entry and sees its proof checked in the browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ledger import services
from tests.e2e.conftest import Journey
from tests.ledger.helpers import decision_payload, export_payload

pytestmark = pytest.mark.e2e


def test_lookup_shows_entry_verified_in_the_browser(
    journey: Journey, transactional_db: None
) -> None:
    services.entries_record(entries=[("dataset.export", export_payload(n)) for n in range(6)])
    services.entry_record(kind="kyc.decision", payload=decision_payload())
    services.tree_head_publish()
    page = journey.page
    page.goto("/transparency/")
    expect(page.get_by_test_id("tree-size")).to_have_text("8")
    recent = page.get_by_test_id("recent-entries")
    expect(recent.locator("tbody tr")).to_have_count(8)
    expect(recent.locator("tbody tr").nth(1)).to_contain_text("kyc.decision")
    journey.shot("transparency")
    recent.get_by_role("link", name="Entry 3 and its proof").click()
    expect(page.get_by_test_id("entry")).to_contain_text("dataset.export")
    expect(page.get_by_test_id("browser-verdict")).to_have_text("verified in your browser")

    page.get_by_label("Entry number").fill("6")
    page.get_by_role("button", name="Show entry and proof").click()
    expect(page.get_by_test_id("entry")).to_contain_text("kyc.decision")
    expect(page.get_by_test_id("browser-verdict")).to_have_text("verified in your browser")
    journey.shot("entry-verified")

    page.get_by_label("Entry number").fill("99")
    page.get_by_role("button", name="Show entry and proof").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("less than the tree size"))
    journey.shot("entry-out-of-range")
