"""How domain errors reach people: the API's one exception handler (the contract's error
shape). Kept apart from `core.api` because DRF imports the authentication classes there while
`rest_framework.views` is still loading."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api import PayloadTooLarge
from core.errors import DomainError, RetryLater


def _field_errors(data: Any) -> dict[str, list[Any]]:
    if isinstance(data, dict):
        return dict(_flattened(data, ""))
    return {"non_field_errors": data if isinstance(data, list) else [data]}


def _flattened(errors: Any, path: str) -> list[tuple[str, list[Any]]]:
    """Errors of nested fields as one list of messages per field, so the contract's shape
    holds at any depth: a nested object's field under `address.city`, a list item's error
    under the list's own name, saying which item ("Item 2: ...")."""
    if isinstance(errors, dict):
        found: dict[str, list[Any]] = {}
        for key, value in errors.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                for name, messages in _flattened(value, path):
                    found.setdefault(name, []).extend(
                        f"Item {int(key) + 1}: {message}" for message in messages
                    )
                continue
            name = f"{path}.{key}" if path else str(key)
            for inner, messages in _flattened(value, name):
                found.setdefault(inner, []).extend(messages)
        return list(found.items())
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        return _flattened({index: item for index, item in enumerate(errors) if item}, path)
    return [(path or "non_field_errors", errors if isinstance(errors, list) else [errors])]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = (
            {"errors": {exc.field: [exc.message]}} if exc.field else {"detail": exc.message}
        )
        answer = Response(body, status=exc.status_code)
        if isinstance(exc, RetryLater):
            answer["Retry-After"] = str(exc.retry_after)
        return answer
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _field_errors(response.data)}
    elif not (isinstance(response.data, dict) and "detail" in response.data):
        response.data = {"detail": response.data}
    return response
