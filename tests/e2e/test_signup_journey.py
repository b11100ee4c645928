"""A newcomer signs up, proves the e-mail address, signs in and lands on the dashboard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import Journey

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-and-unusual-passphrase"


def test_sign_up_verify_sign_in_dashboard(journey: Journey, db: None) -> None:
    page = journey.page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verified once")
    journey.shot("home")

    page.get_by_role("link", name="Become a pioneer").click()
    page.locator("input[name=email]").fill("newcomer@example.com")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    journey.shot("signup-filled")
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("verify", re.I))
    journey.shot("verification-sent")

    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert link, message.body
    page.goto(link.group(0))
    journey.shot("confirm-email")
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    # Confirmed in the browser that signed up: signed in at once, no password again.
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    journey.shot("email-confirmed")
    expect(page.get_by_test_id("verification-state")).to_have_text("Identity not verified yet")
    expect(page.get_by_text("pioneer", exact=True)).to_be_visible()
    journey.shot("dashboard")


def test_wrong_password_shows_an_error(journey: Journey, user_factory: Any) -> None:
    person = user_factory()
    page = journey.page
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(person.email)
    page.locator("input[name=password]").fill("not-the-password")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_text(re.compile("not correct", re.I))).to_be_visible()
    journey.shot("login-error")
