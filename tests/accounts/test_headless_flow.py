"""allauth headless, as an API client uses it: signup, e-mail proof, login, then /me."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

BROWSER = "/_allauth/browser/v1"
APP = "/_allauth/app/v1"


def confirmation_key(message: Any) -> str:
    match = re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_verify_login_me(db: None) -> None:
    client = APIClient()
    signup = client.post(
        f"{BROWSER}/auth/signup", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )
    # 401 with a pending verify_email flow: signed up, not yet signed in.
    assert signup.status_code == 401
    flows = {flow["id"]: flow for flow in signup.json()["data"]["flows"]}
    assert flows["verify_email"].get("is_pending") is True
    assert client.get("/api/v1/me/").status_code in {401, 403}

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    verify = client.post(
        f"{BROWSER}/auth/email/verify", {"key": confirmation_key(mail.outbox[0])}, format="json"
    )
    # Confirmed in the session that signed up (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION): signed in.
    assert verify.status_code == 200, verify.json()

    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "new@example.com"
    assert me.json()["email_verified"] is True
    assert me.json()["roles"] == ["pioneer"]


def test_a_link_opened_elsewhere_verifies_but_does_not_sign_in(db: None) -> None:
    APIClient().post(
        f"{BROWSER}/auth/signup", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )
    elsewhere = APIClient()
    verify = elsewhere.post(
        f"{BROWSER}/auth/email/verify", {"key": confirmation_key(mail.outbox[0])}, format="json"
    )
    assert verify.status_code == 401, verify.json()
    assert elsewhere.get("/api/v1/me/").status_code in {401, 403}
    login = elsewhere.post(
        f"{BROWSER}/auth/login", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.json()


def test_app_client_uses_the_session_token(user: Any) -> None:
    client = APIClient()
    login = client.post(
        f"{APP}/auth/login", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.json()
    token = login.json()["meta"]["session_token"]

    fresh = APIClient()
    assert fresh.get("/api/v1/me/").status_code == 401
    me = fresh.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200
    assert me.json()["id"] == str(user.public_id)

    fresh.delete(f"{APP}/auth/session", HTTP_X_SESSION_TOKEN=token)
    assert fresh.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_unverified_login_is_held_at_verification(user_factory: Any) -> None:
    person = user_factory(email_verified=False)
    client = APIClient()
    login = client.post(
        f"{BROWSER}/auth/login", {"email": person.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 401
    assert client.get("/api/v1/me/").status_code in {401, 403}


def test_login_brute_force_is_throttled(user: Any) -> None:
    client = APIClient()
    statuses = [
        client.post(
            f"{BROWSER}/auth/login",
            {"email": user.email, "password": "wrong-password"},
            format="json",
        ).status_code
        for _ in range(6)
    ]
    # Five wrong passwords per account in five minutes, then "wait", not "wrong".
    assert statuses == [400] * 5 + [429]
    # Refused even with the right password: the point is to stop guessing.
    right = client.post(
        f"{BROWSER}/auth/login", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert right.status_code == 429
    assert right.json()["status"] == 429
    assert 270 <= int(right["Retry-After"]) <= 300  # the first failure leaves the window
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),  # malformed address
        ({"email": "short@example.com", "password": "abc"}, "password"),  # fails the validators
        ({"password": PASSWORD}, "email"),  # missing address
    ],
)
def test_signup_errors_name_the_field(db: None, body: dict[str, str], field: str) -> None:
    response = APIClient().post(f"{BROWSER}/auth/signup", body, format="json")
    assert response.status_code == 400
    assert field in {error.get("param") for error in response.json()["errors"]}
    assert not mail.outbox
