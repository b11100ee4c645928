"""allauth's rate limits answer 429 Too Many Requests with `Retry-After`, API and pages
(the browser client's failed-login limit: `test_headless_flow`).

The failed-login limit (settings: 5 per 5 minutes per address) used to answer 400, the
same as a wrong password, so a client could not tell "wrong" from "wait", nor for how long.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import HEADLESS, PASSWORD, totp_code

pytestmark = pytest.mark.django_db

LOGIN_FAILED_WINDOW = 300  # "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"]


def post_json(client: Client, path: str, body: dict[str, str]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def assert_waits(response: Any, low: int, high: int) -> None:
    assert response.status_code == 429, response.content
    assert low <= int(response["Retry-After"]) <= high, response["Retry-After"]


def test_app_client_gets_the_same_429(user: Any) -> None:
    client = Client()
    for _ in range(5):
        post_json(
            client, "/_allauth/app/v1/auth/login", {"email": user.email, "password": "x" * 12}
        )
    refused = post_json(
        client, "/_allauth/app/v1/auth/login", {"email": user.email, "password": PASSWORD}
    )
    assert_waits(refused, LOGIN_FAILED_WINDOW - 30, LOGIN_FAILED_WINDOW)
    assert "session_token" not in refused.json().get("meta", {})


def test_login_page_throttling_is_a_429_page_with_retry_after(user: Any) -> None:
    client = Client()
    for _ in range(5):
        wrong = client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
        assert wrong.status_code == 200  # the form again, with its error
    refused = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert_waits(refused, LOGIN_FAILED_WINDOW - 30, LOGIN_FAILED_WINDOW)
    assert b"Too many attempts" in refused.content
    assert client.session.get("_auth_user_id") is None


def test_guessing_the_second_factor_is_throttled_with_429(user_factory: Any) -> None:
    person = user_factory(totp=True)
    client = Client()
    first = post_json(
        client, f"{HEADLESS}/auth/login", {"email": person.email, "password": PASSWORD}
    )
    assert first.status_code == 401  # the code is pending
    wrong = "000000" if totp_code() != "000000" else "111111"
    for _ in range(5):
        guess = post_json(client, f"{HEADLESS}/auth/2fa/authenticate", {"code": wrong})
        assert guess.status_code == 400
    refused = post_json(client, f"{HEADLESS}/auth/2fa/authenticate", {"code": totp_code()})
    # That limit is counted per pending user, which the answer cannot read: it names the
    # longest window that could apply, never a shorter one.
    assert_waits(refused, LOGIN_FAILED_WINDOW - 30, LOGIN_FAILED_WINDOW)
    assert client.session.get("_auth_user_id") is None


def test_view_limits_get_retry_after_too(user: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    client = Client()
    for _ in range(2):
        post_json(client, f"{HEADLESS}/auth/login", {"email": user.email, "password": "nope" * 3})
    refused = post_json(
        client, f"{HEADLESS}/auth/login", {"email": user.email, "password": PASSWORD}
    )
    assert_waits(refused, 50, 60)
