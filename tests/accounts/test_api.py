"""The API contract: authentication, the default permission, the error shape, limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.roles import Role


class DefaultPermissionProbe(APIView):
    """A view that sets no permission_classes, so it shows what every endpoint gets."""

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


urlpatterns = [path("api/v1/probe/", DefaultPermissionProbe.as_view())]


def test_me_describes_the_signed_in_person(signed_in_api: APIClient, user: Any) -> None:
    response = signed_in_api.get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.public_id)
    assert body["email"] == user.email
    assert body["roles"] == [Role.PIONEER.value]
    assert body["email_verified"] is True
    assert body["is_verified"] is False
    assert body["mfa_enabled"] is False
    assert body["reputation_level"] == 1
    assert "password" not in body
    assert "pk" not in body


def test_me_query_count_is_fixed(
    signed_in_api: APIClient, user: Any, django_assert_max_num_queries: Any
) -> None:
    from accounts.services.users import user_grant_role

    for role in Role:
        user_grant_role(user=user, role=role)
    with django_assert_max_num_queries(8):
        assert signed_in_api.get("/api/v1/me/").status_code == 200


def test_anonymous_gets_401_with_the_error_shape(api_client: APIClient, db: None) -> None:
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert "X-Session-Token" in response["WWW-Authenticate"]


@pytest.mark.urls(__name__)
def test_unverified_email_reaches_only_me(api_client: APIClient, user_factory: Any) -> None:
    person = user_factory(email_verified=False)
    api_client.force_login(person)
    assert api_client.get("/api/v1/probe/").status_code == 403


@pytest.mark.urls(__name__)
def test_verified_email_passes_the_default_permission(signed_in_api: APIClient) -> None:
    assert signed_in_api.get("/api/v1/probe/").json() == {"ok": True}


def test_unverified_email_still_reads_me(api_client: APIClient, user_factory: Any) -> None:
    person = user_factory(email_verified=False)
    api_client.force_login(person)
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email_verified"] is False


def test_profile_patch_updates_fields(signed_in_api: APIClient) -> None:
    response = signed_in_api.patch(
        "/api/v1/me/", {"display_name": " Ada ", "country": "KE", "languages": ["sw", "en"]}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["display_name"] == "Ada"
    assert response.json()["country"] == "KE"
    assert response.json()["languages"] == ["sw", "en"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "ZZ"}, "country"),  # not an ISO 3166 code
        ({"languages": ["klingon"]}, "languages"),  # not a language Django knows
        ({"languages": "en"}, "languages"),  # a string, not a list
        ({"display_name": "x" * 61}, "display_name"),  # over the length limit
    ],
)
def test_invalid_fields_name_the_field(
    signed_in_api: APIClient, body: dict[str, Any], field: str
) -> None:
    response = signed_in_api.patch("/api/v1/me/", body)
    assert response.status_code == 400
    assert set(response.json()) == {"errors"}
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"display_name": ', "non_field_errors"),  # truncated JSON
        (b"\xff\xfe not json", "non_field_errors"),  # not even UTF-8
        (b'{"display_name": NaN}', "display_name"),  # NaN is not JSON
    ],
)
def test_bodies_that_are_not_json_are_400_naming_the_field(
    signed_in_api: APIClient, raw: bytes, field: str
) -> None:
    response = signed_in_api.patch("/api/v1/me/", raw, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}


@pytest.mark.parametrize(
    ("method", "raw", "content_type", "status"),
    [
        ("patch", b"display_name=x", "text/plain", 415),  # a content type we do not parse
        ("delete", b"", "application/json", 405),  # a method /me does not have
        ("put", b"{}", "application/json", 405),
    ],
)
def test_malformed_requests_get_4xx_with_detail(
    signed_in_api: APIClient, method: str, raw: bytes, content_type: str, status: int
) -> None:
    response = getattr(signed_in_api, method)("/api/v1/me/", raw, content_type=content_type)
    assert response.status_code == status
    assert set(response.json()) == {"detail"}


def test_oversized_body_is_refused_and_changes_nothing(
    signed_in_api: APIClient, user: Any, settings: Any
) -> None:
    settings.API_MAX_JSON_BYTES = 1024
    body = '{"display_name": "big", "padding": "' + "x" * 2048 + '"}'
    response = signed_in_api.patch("/api/v1/me/", body, content_type="application/json")
    assert response.status_code == 413
    assert set(response.json()) == {"detail"}
    user.profile.refresh_from_db()
    assert user.profile.display_name == ""


def test_unknown_api_path_is_json_404(signed_in_api: APIClient) -> None:
    response = signed_in_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is nothing at this address."}


def test_session_writes_need_csrf(user: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch("/api/v1/me/", {"display_name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_user_throttle_answers_429(
    signed_in_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    # Inside one window: four requests at a minute's boundary would be counted in two.
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_800_000_030.0)
    statuses = [signed_in_api.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_healthz_reports_each_backend(client: Any, db: None, settings: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body.get("redis") == ("ok" if settings.REDIS_URL else None)


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_is_503_when_redis_is_down(client: Any, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"


def test_schema_and_docs_are_public(api_client: APIClient, db: None) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
