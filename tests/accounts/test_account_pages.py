"""allauth's pages (sign-up, sign-in, e-mail, password, two-factor, recovery codes) in the
site's own markup: each field in a `.field` with its label and errors beside it, buttons in
the site's classes; and confirming the e-mail link signs the person in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNED_OUT = ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]
SIGNED_IN = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
]


@pytest.mark.parametrize("url", SIGNED_OUT)
def test_signed_out_pages_use_the_site_form(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form class="form"' in page
    assert 'class="field' in page
    assert 'class="button"' in page
    assert "<p><label" not in page  # not Django's bare as_p rendering


@pytest.mark.parametrize("url", SIGNED_IN)
def test_account_settings_pages_use_the_site_layout(client: Client, user: Any, url: str) -> None:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-label="Account settings"' in page
    assert "<p><label" not in page


def test_recovery_codes_ask_for_the_password_again_in_the_site_form(
    client: Client, user_factory: Any
) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    person = user_factory(totp=True)
    RecoveryCodes.activate(person)
    client.force_login(person)
    response = client.get("/accounts/2fa/recovery-codes/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")
    page = response.content.decode()
    assert '<form class="form"' in page
    assert 'data-field="password"' in page


def test_wrong_password_shows_beside_the_form(client: Client, user: Any) -> None:
    response = client.post("/accounts/login/", {"login": user.email, "password": "wrong-one"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "not correct" in page


def test_confirming_the_email_link_signs_the_person_in(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {"email": "fresh@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 302  # not signed in before confirming
    link = re.search(r"/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link
    confirm = client.post(link.group(0))
    assert confirm.status_code == 302
    assert client.get("/dashboard/").status_code == 200
