"""Two-factor authentication through allauth headless: TOTP set-up, recovery codes, login."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

BROWSER = "/_allauth/browser/v1"


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def signed_in(user: Any) -> APIClient:
    client = APIClient()
    response = client.post(
        f"{BROWSER}/auth/login", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    return client


def test_totp_activation_then_login_needs_a_second_factor(user: Any) -> None:
    client = signed_in(user)
    # Changing the second factor needs a fresh password confirmation.
    reauth = client.post(f"{BROWSER}/auth/reauthenticate", {"password": PASSWORD}, format="json")
    assert reauth.status_code == 200, reauth.json()
    pending = client.get(f"{BROWSER}/account/authenticators/totp")
    assert pending.status_code == 404
    secret = pending.json()["meta"]["secret"]

    wrong = client.post(f"{BROWSER}/account/authenticators/totp", {"code": "000000"}, format="json")
    assert wrong.status_code == 400
    activated = client.post(
        f"{BROWSER}/account/authenticators/totp", {"code": totp_code(secret)}, format="json"
    )
    assert activated.status_code == 200, activated.json()
    assert client.get("/api/v1/me/").json()["mfa_enabled"] is True

    codes = client.get(f"{BROWSER}/account/authenticators/recovery-codes").json()["data"][
        "unused_codes"
    ]
    assert len(codes) >= 8

    fresh = APIClient()
    first_step = fresh.post(
        f"{BROWSER}/auth/login", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert first_step.status_code == 401
    flows = {flow["id"]: flow for flow in first_step.json()["data"]["flows"]}
    assert flows["mfa_authenticate"].get("is_pending") is True
    assert fresh.get("/api/v1/me/").status_code == 401

    bad = fresh.post(f"{BROWSER}/auth/2fa/authenticate", {"code": "123456"}, format="json")
    assert bad.status_code == 400
    # A recovery code stands in for the phone, once.
    second_step = fresh.post(f"{BROWSER}/auth/2fa/authenticate", {"code": codes[0]}, format="json")
    assert second_step.status_code == 200, second_step.json()
    assert fresh.get("/api/v1/me/").status_code == 200


def test_mfa_pages_render_in_the_product_layout(client: Any, user: Any) -> None:
    login = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert login.status_code == 302
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    reauth = client.post(response["Location"], {"password": PASSWORD})
    assert reauth.status_code == 302
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Two-factor authentication" in body  # our settings navigation
    assert 'name="code"' in body
