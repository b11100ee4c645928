"""`make run`'s demo moderator has the documented authenticator, so the KYC queue opens."""

from __future__ import annotations

import io
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.core.management import call_command
from django.test import Client

from accounts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from accounts.models import User
from tests.conftest import HEADLESS, with_totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_moderator_gets_the_documented_authenticator_once() -> None:
    printed = seed()
    moderator = User.objects.get(email="moderator@example.com")
    # Someone re-enrolled with another app: seeding again restores what the README says.
    Authenticator.objects.filter(user=moderator).delete()
    TOTP.activate(moderator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    seed()

    [totp] = Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP)
    assert decrypt(totp.data["secret"]) == DEMO_TOTP_SECRET
    assert DEMO_TOTP_SECRET in printed
    assert (
        "otpauth://totp/Pioneer%20Platform:moderator%40example.com?"
        f"secret={DEMO_TOTP_SECRET}&issuer=Pioneer+Platform" in printed
    )
    assert not Authenticator.objects.exclude(user=moderator).exists()


def test_demo_moderator_signs_in_with_the_printed_secret_and_opens_the_queue(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    client = Client()
    first = client.post(
        f"{HEADLESS}/auth/login",
        {"email": "moderator@example.com", "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert first.status_code == 401  # the code is asked for
    done = with_totp_code(
        lambda code: client.post(
            f"{HEADLESS}/auth/2fa/authenticate", {"code": code}, content_type="application/json"
        ),
        lambda response: response.status_code == 200,
        DEMO_TOTP_SECRET,
    )
    assert done.status_code == 200
    queue = client.get("/kyc/review/")
    assert queue.status_code == 200
    assert client.get("/api/v1/kyc/queue/").json()["results"]  # the applicant's case waits
