from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.api import json_error, wants_json

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and Redis, when configured) answer; 503 naming what did not."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("healthz: database unavailable")
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception:
            logger.exception("healthz: redis unavailable")
            checks["redis"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def _error_page(request: HttpRequest, status_code: int, title: str, detail: str) -> HttpResponse:
    if wants_json(request):
        return json_error(request, status_code, detail)
    return render(
        request,
        "error.html",
        {"title": title, "detail": detail, "status": status_code},
        status=status_code,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, "Bad request", "The request could not be understood.")


def payload_too_large(request: HttpRequest, detail: str) -> HttpResponse:
    return _error_page(request, 413, "Too large", detail)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, "Not allowed", "You do not have permission to do this.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, "Not found", "There is nothing at this address.")


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's rate limits answer with this page (`handler429`); `Retry-After` says when."""
    return _error_page(
        request,
        429,
        "Too many attempts",
        "Too many attempts in a short time. Wait a few minutes, then try again.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request, 500, "Something went wrong", "The error was logged; please try again."
    )


# How long a client should wait before retrying when the server is out of database
# connections: a few pool timeouts' worth of other requests finishing.
RETRY_AFTER_SECONDS = 5


def service_unavailable(request: HttpRequest) -> HttpResponse:
    response = _error_page(
        request,
        503,
        "Busy right now",
        "The service is handling more requests than it can at once; please try again in a "
        "few seconds.",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        403,
        "Form expired",
        "The form's security token was missing or stale; reload and try again.",
    )


def headless_phone_unused(request: HttpRequest, client: str) -> JsonResponse:
    """allauth's headless API routes its phone-number endpoints whatever the login methods,
    and the account adapter, which has no phone field here, raises NotImplementedError in
    them (a 500). People sign in with e-mail only, so the endpoint does not exist: a 404 in
    allauth's own error shape."""
    return JsonResponse(
        {
            "status": 404,
            "errors": [
                {
                    "message": "Phone numbers are not used on this platform; sign in with e-mail.",
                    "code": "not_found",
                }
            ],
        },
        status=404,
    )
