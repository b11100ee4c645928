"""allauth headless decodes its JSON bodies itself; without an account, a body it cannot
decode, or one nested 100,000 deep, is a 400 with a message in allauth's error shape."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db

VERY_DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("client_kind", ["app", "browser"])
@pytest.mark.parametrize(
    ("flow", "body", "content_type", "param", "message"),
    [
        # the attack: a body nested 100,000 deep, to login and to signup
        ("login", VERY_DEEP, "application/json", None, "JSON may nest at most"),
        ("signup", VERY_DEEP, "application/json", None, "JSON may nest at most"),
        ("login", '{"email": ' + VERY_DEEP + "}", "application/json", None, "JSON may nest"),
        # what PostgreSQL could not store, named by its field
        (
            "signup",
            '{"email": "a\\u0000@example.com", "password": "x"}',
            "application/json",
            "email",
            "Text must not contain the NUL character",
        ),
        (
            "signup",
            '{"email": "a@example.com", "password": "\\ud800"}',
            "application/json",
            "password",
            "Text must not contain an unpaired surrogate",
        ),
        (
            "login",
            '{"email": "a@example.com", "password": NaN}',
            "application/json",
            "password",
            "NaN and Infinity are not JSON numbers",
        ),
        # not an object, not JSON, a multipart body without a boundary: allauth answered
        # these with an empty body
        ("login", "[1]", "application/json", None, "Send a JSON object."),
        ("login", "email=a", "application/x-www-form-urlencoded", None, "Not valid JSON"),
        ("signup", "--x\r\n", "multipart/form-data", None, "Not valid JSON"),
    ],
    ids=[
        "deep-login",
        "deep-signup",
        "deep-field",
        "nul",
        "surrogate",
        "nan",
        "list",
        "form",
        "multipart-no-boundary",
    ],
)
def test_undecodable_bodies_are_400_with_a_message_and_create_nothing(
    client_kind: str,
    flow: str,
    body: str,
    content_type: str,
    param: str | None,
    message: str,
) -> None:
    client = APIClient(enforce_csrf_checks=False)
    response = client.generic(
        "POST", f"/_allauth/{client_kind}/v1/auth/{flow}", body, content_type=content_type
    )
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["message"].startswith(message), error
    assert error.get("param") == param
    assert not User.objects.exists()


def test_a_good_body_still_reaches_allauth(user: Any) -> None:
    response = APIClient().post(
        "/_allauth/app/v1/auth/login", {"email": user.email, "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "email_password_mismatch"


@pytest.mark.parametrize("client_kind", ["app", "browser"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "account/phone"),
        ("post", "account/phone"),
        ("post", "auth/phone/verify"),
        ("post", "auth/phone/verify/resend"),
    ],
)
def test_phone_endpoints_are_not_there(
    client_kind: str, method: str, path: str, user_factory: Any
) -> None:
    """Sign-in is by e-mail only; allauth still routes its phone endpoints, and they raised
    NotImplementedError (a 500) for a signed-in person."""
    client = APIClient()
    client.force_login(user_factory())
    response = getattr(client, method)(
        f"/_allauth/{client_kind}/v1/{path}", {"phone": "+15555550123"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"].startswith("Phone numbers are not used")
