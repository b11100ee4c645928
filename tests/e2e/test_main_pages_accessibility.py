"""The main pages, signed out and as each role, pass the accessibility check (axe-core's
serious and critical rules) on a desktop and on a phone, with no console errors and no
missing assets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.roles import Role
from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import RESULTS, sign_in
from tests.e2e.helpers import VIEWPORTS, SiteVisit, folder_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("eager_celery")]

PUBLIC = ["/", "/transparency/", "/help/", "/privacy/", "/terms/", "/contact/", "/accounts/login/"]
SIGNED_IN = {
    "pioneer": [
        "/dashboard/",
        "/kyc/",
        "/workshops/",
        "/earnings/",
        "/account/data/",
        "/profile/",
        "/reputation/",
        "/notifications/",
    ],
    "verified": ["/tasks/", "/earnings/", "/chat/", "/reviews/"],
    "moderator": [
        "/dashboard/",
        "/kyc/review/",
        "/contact/inbox/",
        "/chat/reports/",
        "/reviews/rings/",
        "/reputation/moderation/",
    ],
    "validator": ["/dashboard/", "/kyc/checks/"],
    "requester": ["/dashboard/", "/requester/projects/", "/requester/projects/new/"],
}


@pytest.fixture(params=list(VIEWPORTS))
def visit(request: pytest.FixtureRequest, browser: Any, asgi_server: str) -> Iterator[SiteVisit]:
    context = browser.new_context(base_url=asgi_server, viewport=VIEWPORTS[request.param])
    context.set_default_timeout(20_000)
    visit = SiteVisit(context.new_page(), folder_for(RESULTS, request), request.param == "phone")
    yield visit
    context.close()
    visit.assert_clean()


def test_public_pages(visit: SiteVisit) -> None:
    for url in PUBLIC:
        visit.page.goto(url)
        visit.check(url.strip("/").replace("/", "-") or "home")


@pytest.mark.parametrize("role", list(SIGNED_IN))
def test_pages_of_each_role(visit: SiteVisit, user_factory: Any, role: str) -> None:
    roles = {
        "pioneer": [Role.PIONEER],
        "verified": [Role.PIONEER],
        "moderator": [Role.MODERATOR],
        "validator": [Role.PIONEER, Role.VALIDATOR],
        "requester": [Role.REQUESTER],
    }[role]
    person = user_factory(
        roles=roles, verified=role in {"verified", "validator"}, totp=role == "moderator"
    )
    sign_in(visit.page, person.email, totp_secret=TOTP_SECRET if role == "moderator" else None)
    for url in SIGNED_IN[role]:
        visit.page.goto(url)
        visit.check(url.strip("/").replace("/", "-"))
