"""API conventions shared by every app: error shape, body limit, pagination, permissions.

Errors are `{"errors": {field: [messages]}}` for invalid input and `{"detail": message}`
otherwise, always with a 4xx status; anything that would be a 500 is a bug to fix here or
in the service, not something a client should ever parse.
"""

from __future__ import annotations

import math
from typing import Any

from allauth.account.utils import has_verified_email
from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, JsonResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, pagination, parsers, permissions, serializers, status

from core import strict_json


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class LimitedJSONParser(parsers.JSONParser):
    """JSON parser that refuses bodies over `API_MAX_JSON_BYTES` and decodes with
    `core.strict_json`, so what PostgreSQL cannot store (or a 100,000-deep body) is a 400
    naming the field, not a 500.

    DRF reads the request stream directly, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE,
    so without this a client could make a worker buffer an arbitrarily large body.
    Reading limit + 1 bytes also covers chunked bodies that carry no Content-Length.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_JSON_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        return strict_json.loads(raw)


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's headless token, plus the header that makes DRF answer 401 (not 403) to a
    client that sent no credentials, so it knows to sign in rather than that it may not."""

    def authenticate_header(self, request: Any) -> str:
        return 'Session-Token header="X-Session-Token"'


class CursorPagination(pagination.CursorPagination):
    """Cursors are opaque to clients, so one we did not issue is bad input (400 naming the
    cursor), not a missing page (DRF's 404); its position is checked against the ordering
    column before it reaches the database, where a wrong type would be a 500."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200

    def _refuse_cursor(self) -> exceptions.ValidationError:
        return exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def decode_cursor(self, request: Any) -> pagination.Cursor | None:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._refuse_cursor() from None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        cursor = self.decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            name = self.get_ordering(request, queryset, view)[0].lstrip("-")
            meta = queryset.model._meta
            column = meta.pk if name == "pk" else meta.get_field(name)
            try:
                column.clean(cursor.position, None)
            except DjangoValidationError:
                raise self._refuse_cursor() from None
        return super().paginate_queryset(queryset, request, view)


class FiniteFloatField(serializers.FloatField):
    """DRF's FloatField takes "nan" and "inf" (from a query string, or as JSON text), and
    NaN passes every min_value/max_value check, since every comparison with it is false."""

    default_error_messages = {"not_finite": "Give a finite number."}

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


class IsAuthenticatedWithVerifiedEmail(permissions.BasePermission):
    """The default for every endpoint: signed in and the e-mail address proven.

    allauth's mandatory verification already keeps unverified people from signing in; this
    also covers sessions that predate an e-mail change or were opened some other way.
    """

    message = "Verify your e-mail address to use the API."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        cached = getattr(user, "_pp_email_verified", None)
        if cached is None:
            cached = has_verified_email(user)
            user._pp_email_verified = cached
        return bool(cached)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/_allauth/"))


def json_error(request: HttpRequest, status_code: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status_code)


class SessionTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents the headless token in the OpenAPI schema."""

    target_class = "core.api.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-Session-Token"}
