"""A pioneer submits identity documents, validators vote, a moderator approves, the pioneer
is verified."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.conftest import PASSWORD, TOTP_SECRET
from tests.e2e.conftest import Journey, enter_totp_code
from tests.kyc.conftest import case_fields, photo

pytestmark = pytest.mark.e2e


def sign_in(journey: Journey, email: str, totp_secret: str | None = None) -> None:
    page = journey.page
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    if totp_secret:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        journey.shot("second-factor")
        enter_totp_code(page, totp_secret)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_submit_review_approve_verified(
    journey: Journey,
    user_factory: Any,
    transactional_db: None,
    tmp_path: Path,
    settings: Any,
    eager_celery: None,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.KYC_VALIDATOR_VOTES = 2
    pioneer = user_factory()
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    front, selfie = tmp_path / "front.jpg", tmp_path / "selfie.jpg"
    front.write_bytes(photo())
    selfie.write_bytes(photo((480, 640)))
    fields = case_fields()
    page = journey.page

    sign_in(journey, pioneer.email)
    page.get_by_role("link", name="Verify your identity").click()
    page.get_by_label("Document type").select_option("passport")
    for name in ("surname", "given_names", "birth_date", "document_number", "expiry_date", "mrz"):
        page.locator(f"[name={name}]").fill(fields[name])
    # Countries are picked from a list by their three-letter codes.
    page.get_by_label("Nationality").select_option(fields["nationality"])
    page.get_by_label("Issuing state").select_option(fields["issuing_state"])
    page.get_by_label("Document front").set_input_files(str(front))
    page.get_by_label("Selfie").set_input_files(str(selfie))
    expect(page.locator("img[data-preview-for=id_selfie]")).to_be_visible()
    journey.shot("wizard-filled")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_test_id("kyc-state")).to_have_text("In review")
    journey.shot("pioneer-waiting")

    # Two validators answer the redacted questions; one has doubts, so a moderator decides.
    for answer in ("Yes, it does", "No, it does not"):
        validator = user_factory(roles=[Role.PIONEER, Role.VALIDATOR], verified=True)
        sign_in(journey, validator.email)
        page.get_by_role("link", name="Validate").click()
        expect(page.get_by_test_id("validator-check")).to_be_visible()
        expect(page.get_by_test_id("validator-check")).not_to_contain_text("AK1234567")
        expect(page.get_by_test_id("image-caption").first).to_be_visible()
        journey.shot(f"validator-{answer.split(',')[0].lower()}")
        page.get_by_role("button", name=answer, exact=True).click()
        expect(page.get_by_text("Thanks, your answer counts.")).to_be_visible()

    # Moderators open identity documents only after their authenticator code.
    sign_in(journey, moderator.email, totp_secret=TOTP_SECRET)
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_test_id("sla-waiting")).to_have_text("1")
    expect(page.get_by_text("Escalated to a moderator")).to_be_visible()
    journey.shot("moderator-queue")
    page.get_by_role("link", name="Open").click()
    # Opening the case takes it: the decision needs no separate claim step.
    expect(page.get_by_test_id("held-by-me")).to_be_visible()
    expect(page.get_by_test_id("check-results")).to_contain_text("The document is in date.")
    expect(page.get_by_role("img", name="Selfie")).to_be_visible()
    page.get_by_label("Approve").check()
    page.get_by_label("Documents and selfie check out").check()
    journey.shot("moderator-deciding")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded. The queue is empty for now.")).to_be_visible()
    page.get_by_role("link", name="My decisions").click()
    expect(page.get_by_test_id("my-decisions")).to_contain_text("Approved")
    journey.shot("moderator-history")

    sign_in(journey, pioneer.email)
    expect(page.get_by_test_id("verification-state")).to_have_text("Identity verified")
    page.goto("/kyc/")
    expect(page.get_by_test_id("kyc-state")).to_have_text("Approved")
    journey.shot("pioneer-verified")
