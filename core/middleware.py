"""Request guards that must hold before any view reads the body.

- allauth's headless views decode their JSON bodies themselves, outside DRF, with
  `json.loads`: `headless_json_guard` gives them the platform's one JSON rule first.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from core import strict_json

HEADLESS_PREFIX = "/_allauth/"


def headless_json_guard(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """allauth headless answers a body it cannot decode with an empty 400, and one nested
    100,000 deep with a 500. Here every body it would decode goes through
    `core.strict_json` first, and a refusal is answered in allauth's own error shape, so
    its clients read it like any other input error."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(HEADLESS_PREFIX) and request.method != "GET" and request.body:
            try:
                data = strict_json.loads(request.body)
            except strict_json.InvalidJSON as error:
                return _headless_error(error.message, error.field or "non_field_errors")
            if not isinstance(data, dict):
                return _headless_error("Send a JSON object.", "non_field_errors")
        return get_response(request)

    return middleware


def _headless_error(message: str, field: str) -> JsonResponse:
    error = {"message": message, "code": "invalid"}
    if field != "non_field_errors":
        error["param"] = field
    return JsonResponse({"status": 400, "errors": [error]}, status=400)
