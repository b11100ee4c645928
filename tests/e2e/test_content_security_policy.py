"""Pages that lean hardest on the Content-Security-Policy work under it in Chromium: the
API docs (Swagger UI), two-factor setup (a data: QR code), the KYC form's photo preview
(a blob: image), the dashboard's feed socket (the test server speaks no WebSocket, but a
connection the policy blocked would be reported as such), and the admin. The journey
fixture fails on any violation the browser reports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.conftest import PASSWORD, TOTP_SECRET
from tests.e2e.conftest import Journey, sign_in
from tests.kyc.conftest import photo

pytestmark = pytest.mark.e2e


def test_api_docs_render_swagger_ui(journey: Journey, transactional_db: None) -> None:
    page = journey.page
    response = page.goto("/api/docs/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Pioneer Platform API")
    expect(page.locator(".opblock").first).to_be_visible()
    journey.shot("api-docs")


def test_signed_in_pages_work_under_the_policy(
    journey: Journey, user_factory: Any, transactional_db: None, tmp_path: Path
) -> None:
    person = user_factory(roles=[Role.PIONEER])
    page = journey.page
    sign_in(page, person.email)
    journey.shot("dashboard")

    page.goto("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before security settings change.
    if page.get_by_role("heading", name="Confirm Access").is_visible():
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    qr = page.locator("img[src^='data:']").first
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
    journey.shot("totp-qr-code")

    front = tmp_path / "front.jpg"
    front.write_bytes(photo())
    page.goto("/kyc/")
    page.locator("input[type=file]").first.set_input_files(str(front))
    preview = page.locator("img[data-preview-for]").first
    expect(preview).to_have_attribute("src", re.compile(r"^blob:"))
    journey.shot("kyc-preview")


def test_admin_pages_work_under_the_policy(
    journey: Journey, user_factory: Any, transactional_db: None
) -> None:
    # The admin opens identity documents, so it needs a session that used a second factor.
    staff = user_factory(roles=[Role.MODERATOR], totp=True)
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    page = journey.page
    sign_in(page, staff.email, totp_secret=TOTP_SECRET)
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_be_visible()
    journey.shot("admin-users")
