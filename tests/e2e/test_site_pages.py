"""The help, legal and contact pages and the phone menu, on a desktop and on a phone
(390x844): a screenshot per step, and no console error, blocked resource or missing asset."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from support.models import ContactMessage
from tests.e2e.conftest import RESULTS, sign_in
from tests.e2e.helpers import VIEWPORTS, SiteVisit, folder_for

pytestmark = pytest.mark.e2e


@pytest.fixture(params=list(VIEWPORTS))
def visit(request: pytest.FixtureRequest, browser: Any, asgi_server: str) -> Iterator[SiteVisit]:
    context = browser.new_context(base_url=asgi_server, viewport=VIEWPORTS[request.param])
    context.set_default_timeout(15_000)
    visit = SiteVisit(context.new_page(), folder_for(RESULTS, request), request.param == "phone")
    yield visit
    context.close()
    visit.assert_clean()


def test_visitor_reads_help_and_legal_pages_and_writes_to_the_moderators(
    visit: SiteVisit, transactional_db: None
) -> None:
    page = visit.page
    page.goto("/")
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    visit.check("home")
    footer = page.get_by_role("navigation", name="About")
    footer.get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How Pioneer works")
    page.get_by_text("Who sees my identity documents?").click()
    expect(page.get_by_text("Validators see only a crop")).to_be_visible()
    visit.check("help")
    page.get_by_role("navigation", name="About").get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", name="Who sees your documents")).to_be_visible()
    visit.check("privacy")
    page.get_by_role("navigation", name="About").get_by_role("link", name="Terms").click()
    expect(page.get_by_role("heading", name="One person, one account")).to_be_visible()
    visit.check("terms")

    page.get_by_role("navigation", name="About").get_by_role("link", name="Contact").click()
    page.get_by_label("Topic").select_option("privacy")
    page.get_by_label("Your message").fill("Please tell me what you keep about me.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Leave an e-mail address")).to_be_visible()
    visit.check("contact-needs-address")
    page.get_by_label("Your e-mail address").fill("visitor@example.org")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_contain_text("The moderators have your message")
    visit.check("contact-sent")
    assert ContactMessage.objects.filter(reply_to="visitor@example.org").count() == 1


def test_moderator_reads_the_contact_inbox_through_the_phone_menu(
    visit: SiteVisit, transactional_db: None, user_factory: Any
) -> None:
    moderator = user_factory(roles=[Role.MODERATOR])
    ContactMessage.objects.create(topic="report", body="Spam in the lounge.", reply_to="a@b.org")
    page = visit.page
    sign_in(page, moderator.email)
    links = page.locator("#nav-links")
    if visit.phone:
        expect(links).to_be_hidden()
        visit.shot("menu-closed")
        visit.open_menu()
        expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "true")
        expect(links).to_be_visible()
        visit.shot("menu-open")
        page.keyboard.press("Escape")
        expect(links).to_be_hidden()
    else:
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(links).to_be_visible()
    page.goto("/contact/inbox/")
    expect(page.get_by_test_id("contact-message")).to_contain_text("Spam in the lounge.")
    visit.check("inbox")
    page.get_by_role("button", name="Mark handled").click()
    expect(page.get_by_text("No open messages")).to_be_visible()
    visit.check("inbox-empty")


def test_without_scripts_every_link_shows(
    browser: Any, live_server: Any, transactional_db: None
) -> None:
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORTS["phone"], java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/help/")
    expect(page.locator("#nav-links")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    context.close()
