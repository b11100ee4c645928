"""People who can open identity documents get no KYC page or endpoint without MFA.

Every KYC route is enumerated from the URL resolver, so a new view that forgets the guard
fails here: a moderator without an authenticator is sent to set one up, one whose session
skipped the code is sent to confirm it, and only a session that used it gets through.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.mfa import API_DETAIL, Missing
from accounts.roles import Role
from kyc.models import Question
from tests.conftest import PASSWORD, TOTP_SECRET, sign_in_with_totp, with_totp_code
from tests.kyc.conftest import submitted_case

pytestmark = pytest.mark.django_db

GUARD_PAGE = b'data-testid="second-factor-required"'
API_METHODS = ("get", "post", "put", "patch", "delete")


def _kyc_routes() -> list[tuple[str, str, Any]]:
    """(kind, route, callback) of every URL served by the KYC app's pages and API."""
    found: list[tuple[str, str, Any]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                callback = pattern.callback
                module = getattr(getattr(callback, "view_class", callback), "__module__", "")
                if module == "kyc.api" or module.startswith("kyc.views."):
                    kind = "api" if module == "kyc.api" else "page"
                    found.append((kind, "/" + prefix + str(pattern.pattern), callback))

    walk(get_resolver().url_patterns, "")
    return found


def _requests() -> list[tuple[str, str]]:
    requests = []
    for kind, route, callback in _kyc_routes():
        if kind == "page":
            requests += [("get", route), ("post", route)]
        else:
            view_class = callback.view_class
            requests += [(method, route) for method in API_METHODS if hasattr(view_class, method)]
    return sorted(set(requests))


KYC_REQUESTS = _requests()


def _fill(route: str, case_id: str) -> str:
    values = {
        "public_id": case_id,
        "kind": "selfie",
        "check_id": f"{case_id}--{Question.values[0]}",
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], route)


@pytest.fixture
def case_id(pioneer_api: Any, django_capture_on_commit_callbacks: Any) -> str:
    client, _ = pioneer_api
    return submitted_case(client, django_capture_on_commit_callbacks)


def _call(client: Any, method: str, url: str) -> Any:
    if method in {"get", "delete"}:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps({}), content_type="application/json")


# The guard answers before any case is looked up; past it, a 404 for this id is fine.
ANY_CASE = str(uuid.uuid4())


def _guard_answer(response: Any, url: str) -> Missing | None:
    """Which second-factor refusal this is, if it is one."""
    if response.status_code != 403:
        return None
    if url.startswith("/api/"):
        detail = response.json().get("detail")
        return next((missing for missing, text in API_DETAIL.items() if text == detail), None)
    if GUARD_PAGE not in response.content:
        return None
    return Missing.SETUP if b"Set up an authenticator app" in response.content else Missing.CONFIRM


def test_every_kyc_route_is_enumerated() -> None:
    routes = {route for _, route in KYC_REQUESTS}
    # The document-serving page, the review pages and the moderator API are all in.
    assert "/kyc/documents/<str:public_id>/<str:kind>/" in routes
    assert "/kyc/review/<str:public_id>/" in routes
    assert "/api/v1/kyc/cases/<str:public_id>/decide/" in routes
    assert "/api/v1/kyc/queue/" in routes


@pytest.mark.parametrize(("method", "route"), KYC_REQUESTS)
def test_moderator_without_an_authenticator_is_sent_to_set_one_up(
    user_factory: Any, method: str, route: str
) -> None:
    client = Client()
    client.force_login(user_factory(roles=[Role.MODERATOR]))
    url = _fill(route, ANY_CASE)
    response = _call(client, method, url)
    assert _guard_answer(response, url) is Missing.SETUP, (response.status_code, response.content)


@pytest.mark.parametrize(("method", "route"), KYC_REQUESTS)
def test_moderator_whose_session_skipped_the_code_is_sent_to_confirm(
    user_factory: Any, method: str, route: str
) -> None:
    client = Client()
    client.force_login(user_factory(roles=[Role.MODERATOR], totp=True))
    url = _fill(route, ANY_CASE)
    response = _call(client, method, url)
    assert _guard_answer(response, url) is Missing.CONFIRM, (response.status_code, response.content)


@pytest.mark.parametrize(("method", "route"), KYC_REQUESTS)
def test_moderator_signed_in_with_the_code_passes_the_guard(
    user_factory: Any, method: str, route: str
) -> None:
    client = sign_in_with_totp(Client(), user_factory(roles=[Role.MODERATOR], totp=True))
    url = _fill(route, ANY_CASE)
    response = _call(client, method, url)
    assert _guard_answer(response, url) is None, (response.status_code, response.content)


def test_the_guard_is_keyed_on_the_document_permission(user_factory: Any, case_id: str) -> None:
    from django.contrib.auth.models import Permission

    viewer = user_factory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_kyc_documents"))
    client = Client()
    client.force_login(viewer)
    response = client.get(f"/kyc/documents/{case_id}/selfie/")
    assert _guard_answer(response, "/kyc/") is Missing.SETUP


def test_a_pioneer_needs_no_second_factor_for_their_own_case(
    pioneer_api: Any, case_id: str
) -> None:
    client, _ = pioneer_api
    assert client.get(f"/api/v1/kyc/cases/{case_id}/").status_code == 200
    assert client.get(f"/kyc/documents/{case_id}/selfie/").status_code == 200


def test_a_moderator_sets_up_an_authenticator_and_reaches_the_queue(
    user_factory: Any, case_id: str
) -> None:
    """The whole way from the refusal page, through allauth's own pages, back to the queue."""
    moderator = user_factory(roles=[Role.MODERATOR])
    client = Client()
    assert client.post("/accounts/login/", {"login": moderator.email, "password": PASSWORD})[
        "Location"
    ].endswith("/dashboard/")

    refused = client.get("/kyc/review/")
    assert refused.status_code == 403
    assert b'href="/accounts/2fa/totp/activate/"' in refused.content
    # allauth asks for the password again before a second factor changes.
    to_reauth = client.get("/accounts/2fa/totp/activate/")
    assert to_reauth["Location"].startswith("/accounts/reauthenticate/")
    client.post(to_reauth["Location"], {"password": PASSWORD})
    form = client.get("/accounts/2fa/totp/activate/")
    assert form.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    activated = with_totp_code(
        lambda code: client.post("/accounts/2fa/totp/activate/", {"code": code}),
        lambda answer: answer.status_code == 302,
        secret,
    )
    assert activated.status_code == 302

    # Setting the authenticator up is not using it to sign in: confirm with a code.
    confirm = client.get(f"/kyc/review/{case_id}/")
    assert confirm.status_code == 403
    link = re.search(rb'href="(/accounts/2fa/reauthenticate/\?next=[^"]+)"', confirm.content)
    assert link is not None
    back = with_totp_code(
        lambda code: client.post(link.group(1).decode(), {"code": code}),
        lambda answer: answer.status_code == 302,
        secret,
    )
    assert back["Location"] == f"/kyc/review/{case_id}/"
    assert client.get(back["Location"]).status_code == 200
    assert client.get("/api/v1/kyc/queue/").status_code == 200


def test_app_clients_with_a_session_token_are_held_to_the_same_rule(user_factory: Any) -> None:
    def token_for(user: Any, with_code: bool) -> str:
        client = APIClient()
        login = client.post(
            "/_allauth/app/v1/auth/login",
            {"email": user.email, "password": PASSWORD},
            format="json",
        )
        token = login.json()["meta"]["session_token"]
        if not with_code:
            assert login.status_code == 200, login.json()
            return str(token)
        assert login.status_code == 401
        done = with_totp_code(
            lambda code: client.post(
                "/_allauth/app/v1/auth/2fa/authenticate",
                {"code": code},
                format="json",
                HTTP_X_SESSION_TOKEN=token,
            ),
            lambda answer: answer.status_code == 200,
            secret=TOTP_SECRET,
        )
        assert done.status_code == 200, done.json()
        return str(done.json()["meta"]["session_token"])

    without = token_for(user_factory(roles=[Role.MODERATOR]), with_code=False)
    refused = APIClient().get("/api/v1/kyc/queue/", HTTP_X_SESSION_TOKEN=without)
    assert refused.status_code == 403
    assert refused.json() == {"detail": API_DETAIL[Missing.SETUP]}

    with_code = token_for(user_factory(roles=[Role.MODERATOR], totp=True), with_code=True)
    assert APIClient().get("/api/v1/kyc/queue/", HTTP_X_SESSION_TOKEN=with_code).status_code == 200
