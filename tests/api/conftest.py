"""The people the API fuzz test acts as: one signed-in session per role.

Everything about who the roles are and how they sign in lives in `api_sessions`, so a
change to sign-in (a second factor for a role, a new role) is made in one place.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.conftest import with_totp_code

APP = "/_allauth/app/v1"

# Role -> the demo account that plays it (None: no account at all).
ROLE_ACCOUNTS: dict[str, str | None] = {
    "anonymous": None,
    "pioneer": "pioneer@example.com",
    "verified": "verified@example.com",
    "validator": "validator@example.com",
    "requester": "requester@example.com",
    "moderator": "moderator@example.com",
}
# Staff who open identity documents sign in with a second factor: the demo moderator's
# authenticator comes with the demo data.
TOTP_SECRETS = {"moderator": DEMO_TOTP_SECRET}


def app_login(email: str, totp_secret: str | None) -> str:
    """Sign in as an app client does and return the headless session token, completing
    the second-factor stage when the server asks for it."""
    client = Client()
    response = client.post(
        f"{APP}/auth/login",
        {"email": email, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    body = response.json()
    token = body.get("meta", {}).get("session_token")
    pending = {
        flow["id"] for flow in body.get("data", {}).get("flows", []) if flow.get("is_pending")
    }
    if response.status_code == 401 and "mfa_authenticate" in pending:
        assert totp_secret, f"{email} is asked for a second factor it does not have"
        response = with_totp_code(
            lambda code: client.post(
                f"{APP}/auth/2fa/authenticate",
                {"code": code},
                content_type="application/json",
                HTTP_X_SESSION_TOKEN=token,
            ),
            lambda answer: answer.status_code == 200,
            totp_secret,
        )
        body = response.json()
        token = body.get("meta", {}).get("session_token", token)
    assert response.status_code == 200, (email, body)
    assert token
    return str(token)


@pytest.fixture
def api_sessions(
    transactional_db: None, eager_celery: None, settings: Any, tmp_path: Path
) -> dict[str, dict[str, str]]:
    """Headers of each role's session, over the demo data `make run` serves (a published
    project with items, a KYC case waiting for review, verified pioneers)."""
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    sessions: dict[str, dict[str, str]] = {}
    for role, email in ROLE_ACCOUNTS.items():
        if email is None:
            sessions[role] = {}
            continue
        sessions[role] = {"X-Session-Token": app_login(email, TOTP_SECRETS.get(role))}
    return sessions
