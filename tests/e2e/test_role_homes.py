"""Each role walks its dashboard and the pages that are its own, on a desktop and on a
phone (390x844): a screenshot and an accessibility check per step, no console errors, no
missing assets, nothing blocked by the Content-Security-Policy."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from kyc.models import Case, State
from tasks.models import Project
from tasks.services.feed import assignment_answer, item_claim_next
from tasks.services.items import items_upload
from tasks.services.projects import project_create, project_publish
from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import RESULTS, sign_in
from tests.e2e.helpers import VIEWPORTS, SiteVisit, folder_for, off_the_browser_loop
from tests.kyc.conftest import case_fields

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(params=list(VIEWPORTS))
def visit(request: pytest.FixtureRequest, browser: Any, asgi_server: str) -> Iterator[SiteVisit]:
    context = browser.new_context(
        base_url=asgi_server, viewport=VIEWPORTS[request.param], accept_downloads=True
    )
    context.set_default_timeout(20_000)
    visit = SiteVisit(context.new_page(), folder_for(RESULTS, request), request.param == "phone")
    yield visit
    context.close()
    visit.assert_clean()


def case_in(user: Any, state: str, **fields: Any) -> Case:
    # The dashboard reads where a case stands; the moves themselves are tested in tests/kyc.
    return Case.objects.create(user=user, state=state, **{**case_fields(), **fields})


def published(owner: Any, title: str, items: int) -> Project:
    project = project_create(
        owner=owner, title=title, kind="single_label", labels=["a", "b"], overlap=1, gold_rate=0.0
    )
    body = "".join(json.dumps({"payload": {"n": n}}) + "\n" for n in range(items)).encode()
    items_upload(project=project, actor=owner, stream=io.BytesIO(body), fmt="jsonl")
    return project_publish(project=project, actor=owner)


def answer(project: Project, pioneer: Any, count: int) -> None:
    for _ in range(count):
        claim = item_claim_next(project=project, pioneer=pioneer)
        assert claim is not None
        assignment_answer(assignment=claim.assignment, pioneer=pioneer, value="a")


def go(visit: SiteVisit, link: str) -> None:
    """Follow a main-menu link, through the phone menu on a phone."""
    visit.open_menu()
    visit.page.locator("#nav-links").get_by_role("link", name=link, exact=True).click()


def test_pioneer_with_a_returned_case_sees_what_to_fix_and_their_data(
    visit: SiteVisit, user_factory: Any
) -> None:
    pioneer = user_factory()
    case_in(pioneer, State.RESUBMISSION_REQUESTED, resubmission_reasons="The selfie is dark.")
    page = visit.page
    sign_in(page, pioneer.email)
    expect(page.get_by_test_id("verification-state")).to_have_text("Action needed")
    expect(page.get_by_test_id("case-standing")).to_have_text("Action needed: The selfie is dark.")
    visit.check("dashboard")
    page.get_by_role("link", name="Fix your case and submit it again").click()
    expect(page).to_have_url(re.compile(r"/kyc/$"))
    visit.check("kyc-page")

    go(visit, "Profile")
    page.get_by_role("navigation", name="Account settings").get_by_role(
        "link", name="Your data"
    ).click()
    expect(page.get_by_role("heading", name="Your data", level=1)).to_be_visible()
    visit.check("your-data")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(download.value.path().read_text())
    assert data["identity_verification"]["cases"][0]["state"] == "resubmission_requested"
    page.get_by_role("link", name="Close my account").click()
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_text("Tick the box to confirm.")).to_be_visible()
    visit.check("close-account-needs-confirmation")


def test_verified_pioneer_reads_their_earnings(visit: SiteVisit, user_factory: Any) -> None:
    requester = user_factory(roles=[Role.REQUESTER])
    pioneer = user_factory(verified=True)

    def work() -> None:
        answer(published(requester, "Sentiment of reviews", 3), pioneer, 3)
        answer(published(requester, "Image labels", 2), pioneer, 1)

    off_the_browser_loop(work)
    page = visit.page
    sign_in(page, pioneer.email)
    expect(page.get_by_test_id("verification-state")).to_have_text("Identity verified")
    expect(page.get_by_test_id("points")).to_have_text("4")
    visit.check("dashboard")
    page.get_by_role("link", name="Your earnings").click()
    expect(page.get_by_test_id("total-points")).to_have_text("4")
    expect(page.get_by_test_id("by-project")).to_contain_text("Sentiment of reviews")
    expect(page.get_by_test_id("what-a-point-is")).to_contain_text("does not pay out")
    visit.check("earnings")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = download.value.path().read_text().splitlines()
    assert len(lines) == 1 + 4
    go(visit, "Tasks")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    visit.check("task-feed")


def test_moderator_sees_the_queue_and_their_claims(visit: SiteVisit, user_factory: Any) -> None:
    moderator = user_factory(roles=[Role.MODERATOR], totp=True)
    now = timezone.now()
    case_in(user_factory(), State.IN_REVIEW, submitted_at=now - timedelta(hours=26))
    claimed = case_in(
        user_factory(),
        State.ESCALATED,
        submitted_at=now - timedelta(hours=2),
        claimed_by=moderator,
        claim_expires_at=now + timedelta(minutes=25),
    )
    page = visit.page
    sign_in(page, moderator.email, totp_secret=TOTP_SECRET)
    expect(page.get_by_test_id("queue-size")).to_have_text("2")
    moderation = page.get_by_test_id("moderation")
    expect(moderation).to_contain_text("1\xa0day, 2\xa0hours")
    expect(moderation.get_by_role("link", name=re.compile("Case "))).to_have_attribute(
        "href", f"/kyc/review/{claimed.public_id}/"
    )
    visit.check("dashboard")
    page.get_by_role("link", name="Work the queue").click()
    expect(page).to_have_url(re.compile(r"/kyc/review/$"))
    visit.check("queue")
    page.goto("/contact/inbox/")
    visit.check("contact-inbox")


def test_validator_sees_pending_checks_and_answers_one(
    visit: SiteVisit, user_factory: Any, settings: Any
) -> None:
    settings.KYC_VALIDATOR_VOTES = 2
    validator = user_factory(roles=[Role.PIONEER, Role.VALIDATOR], verified=True)
    case_in(user_factory(), State.IN_REVIEW, submitted_at=timezone.now())
    page = visit.page
    sign_in(page, validator.email)
    expect(page.get_by_test_id("pending-checks")).to_have_text("2")
    expect(page.get_by_test_id("accuracy")).to_have_text("—")
    visit.check("dashboard")
    page.get_by_role("link", name="Answer the next check").click()
    expect(page).to_have_url(re.compile(r"/kyc/checks/$"))
    visit.check("checks")


def test_requester_follows_project_progress(visit: SiteVisit, user_factory: Any) -> None:
    requester = user_factory(roles=[Role.REQUESTER])
    pioneer = user_factory(verified=True)
    off_the_browser_loop(lambda: answer(published(requester, "Toxicity ratings", 4), pioneer, 3))
    page = visit.page
    sign_in(page, requester.email)
    projects = page.get_by_test_id("projects")
    expect(projects).to_contain_text("Toxicity ratings")
    expect(projects).to_contain_text("3 of 4")
    visit.check("dashboard")
    page.get_by_role("link", name="All your projects").click()
    expect(page).to_have_url(re.compile(r"/requester/projects/$"))
    visit.check("projects")


def test_account_pages_in_the_site_style(visit: SiteVisit, user_factory: Any) -> None:
    page = visit.page
    page.goto("/accounts/signup/")
    expect(page.locator("form.form")).to_be_visible()
    visit.check("signup")
    page.goto("/accounts/login/")
    visit.check("login")
    person = user_factory()
    sign_in(page, person.email)
    for url, name in (
        ("/accounts/email/", "email"),
        ("/accounts/password/change/", "password"),
        ("/accounts/2fa/", "two-factor"),
    ):
        page.goto(url)
        expect(page.get_by_role("navigation", name="Account settings")).to_be_visible()
        visit.check(name)
