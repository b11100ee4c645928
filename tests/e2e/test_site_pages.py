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
from tests.e2e.conftest import RESULTS, Journey, sign_in

pytestmark = pytest.mark.e2e

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


class SiteVisit(Journey):
    """A journey that also fails on console errors and on any response of 400 or more
    for the page's own resources (stylesheets, scripts, images, the favicon)."""

    def __init__(self, page: Any, folder: Any, phone: bool) -> None:
        super().__init__(page, folder)
        self.phone = phone
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        page.on("console", self._error)
        page.on("response", self._response)
        page.on("requestfailed", lambda request: self.failed.append(f"failed {request.url}"))

    def _error(self, message: Any) -> None:
        # A page answered 4xx on purpose (a form with errors) is logged as a failed load;
        # the resources a page needs are checked by status in `_response` instead.
        if message.type != "error":
            return
        if not message.text.startswith("Failed to load resource"):
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed.append(f"{response.status} {response.url}")

    def open_menu(self) -> None:
        """On a phone the links sit behind the menu button."""
        if self.phone:
            button = self.page.get_by_role("button", name="Menu")
            if button.get_attribute("aria-expanded") != "true":
                button.click()


@pytest.fixture(params=list(VIEWPORTS))
def visit(
    request: pytest.FixtureRequest, browser: Any, asgi_live_server: str
) -> Iterator[SiteVisit]:
    context = browser.new_context(base_url=asgi_live_server, viewport=VIEWPORTS[request.param])
    context.set_default_timeout(15_000)
    page = context.new_page()
    folder = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    visit = SiteVisit(page, folder, phone=request.param == "phone")
    yield visit
    context.close()
    assert visit.csp_violations == []
    assert visit.console_errors == []
    assert visit.failed == []


def test_visitor_reads_help_and_legal_pages_and_writes_to_the_moderators(
    visit: SiteVisit, transactional_db: None
) -> None:
    page = visit.page
    page.goto("/")
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    visit.shot("home")
    footer = page.get_by_role("navigation", name="About")
    footer.get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How Pioneer works")
    page.get_by_text("Who sees my identity documents?").click()
    expect(page.get_by_text("Validators see only a crop")).to_be_visible()
    visit.shot("help")
    page.get_by_role("navigation", name="About").get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", name="Who sees your documents")).to_be_visible()
    visit.shot("privacy")
    page.get_by_role("navigation", name="About").get_by_role("link", name="Terms").click()
    expect(page.get_by_role("heading", name="One person, one account")).to_be_visible()
    visit.shot("terms")

    page.get_by_role("navigation", name="About").get_by_role("link", name="Contact").click()
    page.get_by_label("Topic").select_option("privacy")
    page.get_by_label("Your message").fill("Please tell me what you keep about me.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Leave an e-mail address")).to_be_visible()
    visit.shot("contact-needs-address")
    page.get_by_label("Your e-mail address").fill("visitor@example.org")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_contain_text("The moderators have your message")
    visit.shot("contact-sent")
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
    visit.shot("inbox")
    page.get_by_role("button", name="Mark handled").click()
    expect(page.get_by_text("No open messages")).to_be_visible()
    visit.shot("inbox-empty")


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
