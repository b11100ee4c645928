"""The admin signs staff in only through allauth: its second factor and its rate limits.

Django's stock admin form checked a password and nothing else; a session it opened reached
the KYC review pages and identity documents.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from tests.conftest import PASSWORD, TOTP_SECRET, with_totp_code

pytestmark = pytest.mark.django_db


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize(
    "kind",
    [
        "superuser",  # every permission, no second factor set up
        "superuser_with_totp",  # the admin form would skip the code
        "staff_moderator",  # opens identity documents
    ],
)
def test_posting_credentials_to_the_admin_form_opens_no_session(
    user_factory: Any, kind: str
) -> None:
    user = user_factory(
        roles=[Role.MODERATOR] if kind == "staff_moderator" else [],
        totp=kind == "superuser_with_totp",
    )
    user.is_staff = True
    user.is_superuser = kind.startswith("superuser")
    user.save()
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert signed_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302
    assert client.get("/kyc/review/").status_code == 302  # to the sign-in page


def test_admin_sign_in_goes_through_allauth_and_its_second_factor(user_factory: Any) -> None:
    admin = user_factory(roles=[], totp=True)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()

    to_login = client.get("/admin/")
    assert to_login.status_code == 302
    forwarded = client.get(to_login["Location"])
    assert forwarded.status_code == 302
    login_url = forwarded["Location"]
    assert login_url.startswith("/accounts/login/?next=")

    password_step = client.post(login_url, {"login": admin.email, "password": PASSWORD})
    assert password_step.status_code == 302
    assert password_step["Location"] == "/accounts/2fa/authenticate/"
    # The password alone signs nobody in while the code is pending.
    assert signed_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302

    code_step = with_totp_code(
        lambda code: client.post("/accounts/2fa/authenticate/", {"code": code}),
        lambda response: response.status_code == 302,
        secret=TOTP_SECRET,
    )
    assert code_step["Location"] == "/admin/"
    assert signed_in_user_id(client) == str(admin.pk)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_admin_session_must_have_passed_the_second_factor_the_account_has(
    user_factory: Any,
) -> None:
    admin = user_factory(roles=[], totp=True)
    admin.is_staff = True
    admin.save()
    client = Client()
    client.force_login(admin)  # a session that never saw the code

    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 403
    assert b"Confirm with your authenticator code" in response.content
    assert client.get("/admin/").status_code == 302
    confirmed = with_totp_code(
        lambda code: client.post("/accounts/2fa/reauthenticate/?next=/admin/", {"code": code}),
        lambda answer: answer.status_code == 302,
        secret=TOTP_SECRET,
    )
    assert confirmed["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_moderator_without_an_authenticator_is_sent_to_set_one_up(
    user_factory: Any,
) -> None:
    moderator = user_factory(roles=[Role.MODERATOR])
    moderator.is_staff = True
    moderator.save()
    client = Client()
    client.force_login(moderator)

    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 403
    assert b'href="/accounts/2fa/totp/activate/"' in response.content


def test_signed_in_non_staff_gets_403_not_a_login_loop(user_factory: Any) -> None:
    client = Client()
    client.force_login(user_factory())
    assert client.get("/admin/login/?next=/admin/").status_code == 403


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/",  # another host
        "//evil.example.com/",  # scheme-relative
    ],
)
def test_admin_login_never_forwards_to_another_site(next_url: str) -> None:
    response = Client().get("/admin/login/", {"next": next_url})
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
