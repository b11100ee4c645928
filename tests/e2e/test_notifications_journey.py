"""A notification arrives while the person has a page open: the bell's count goes up
without a reload and no e-mail goes out (they are present); on /notifications/ a second
one appears live, they mark one read by keyboard and then all, and the bell clears; the
e-mail settings are saved from the same page; the page works on a 390x844 phone.

Notifications arrive over `/ws/feed/`, so this runs the ASGI application (tests/e2e
conftest `asgi_server`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts import selectors
from accounts.roles import Role
from accounts.services.notifications import notification_send
from tests.e2e.conftest import off_thread, open_menu_on_a_phone, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]


def test_a_notification_arrives_live_and_marking_read_clears_the_bell(
    contexts: Any, user_factory: Any
) -> None:
    person = off_thread(lambda: user_factory(roles=[Role.PIONEER], verified=True))

    def tell(title: str) -> None:
        off_thread(
            lambda: notification_send(
                user=person,
                kind="kyc.decision",
                title=title,
                body="The task feed is open to you.",
                url="/kyc/",
            )
        )

    journey = contexts("pioneer")
    page = journey.page
    sign_in(page, person.email)
    bell = page.get_by_test_id("bell")
    count = bell.locator("[data-unread-count]")
    expect(page.locator("[data-notification-bell][data-live=true]")).to_have_count(1)
    expect(count).to_be_hidden()
    journey.shot("no-notifications")

    mail.outbox.clear()
    tell("Your identity verification was decided")
    expect(count).to_have_text("1")
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
    journey.shot("bell-counts-one")
    # The page was open when it arrived: the bell told them, so no e-mail did.
    assert mail.outbox == []

    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Your identity verification was decided")
    expect(page.locator("[data-notification-bell][data-live=true]")).to_have_count(1)

    tell("A seat freed up for you: Pet photos")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("A seat freed up for you: Pet photos")
    expect(count).to_have_text("2")
    journey.shot("second-arrives-on-the-list")

    # One read, by keyboard: the newest item's button.
    items.first.get_by_role("button", name=re.compile("^Mark read")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Marked read.")).to_be_visible()
    expect(count).to_have_text("1")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("All notifications marked read.")).to_be_visible()
    expect(count).to_be_hidden()
    expect(bell).to_have_attribute("aria-label", "Notifications")
    assert off_thread(lambda: selectors.notifications_unread_count(user=person)) == 0
    journey.shot("all-read")

    # E-mail settings: turn off mail for identity decisions, on for being paused.
    page.get_by_label("Identity verification decided").uncheck()
    page.get_by_label("Paused on a project").check()
    page.get_by_role("button", name="Save e-mail settings").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    expect(page.get_by_label("Identity verification decided")).not_to_be_checked()
    expect(page.get_by_label("Paused on a project")).to_be_checked()
    expect(page.get_by_label("Workshop registration")).to_be_disabled()
    journey.shot("settings-saved")


def test_the_notifications_page_fits_a_phone(contexts: Any, user_factory: Any) -> None:
    def setup() -> Any:
        person = user_factory(roles=[Role.PIONEER], verified=True)
        for n in range(3):
            notification_send(
                user=person,
                kind="workshop.offer",
                title=f"A seat freed up for you: a workshop with a long title number {n}",
                body="It is yours if you accept by 2026-12-03 10:00 UTC; after that it "
                "passes to the next person on the waitlist.",
                url="/workshops/",
            )
        return person

    person = off_thread(setup)
    journey = contexts("phone", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = journey.page
    sign_in(page, person.email)
    expect(page.get_by_test_id("bell").locator("[data-unread-count]")).to_have_text("3")
    open_menu_on_a_phone(page)
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("notification")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    journey.shot("phone-list")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_test_id("bell").locator("[data-unread-count]")).to_be_hidden()
    journey.shot("phone-all-read")
