"""The OpenAPI schema says what the API answers, errors included, so generated clients and
property-based tests can rely on it.

Every operation gets the error responses it can really produce, derived from the view in
one place (`AutoSchema`) rather than repeated on each endpoint:

| status | when the operation gets it |
| --- | --- |
| 400 | it takes a body or query parameters, or changes state (services refuse bad input) |
| 401, 403 | its view needs an account (403 also covers a missing role or CSRF token) |
| 404 | its path names an object |
| 413, 415 | it takes a body (DRF refuses what its parsers cannot read) |
| 429 | its view is throttled |

What depends on the domain (409 for an illegal state change, a 404 on a path without an
id) a view states itself with `extend_schema(responses={..., 409: CONFLICT})`; a status a
view documents itself is never replaced. Links between operations (open a case, then
upload its documents) are declared next to the view with `response_links` and checked
against the finished schema by `check_links`, so a renamed operation cannot leave a
dangling link behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import permissions, serializers

F = TypeVar("F", bound=Callable[..., Any])

# A field's messages: a list of strings, or (for list and nested fields) an object keyed
# by position or sub-field.
FIELD_MESSAGES = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": True},
    ]
}


@extend_schema_field({"type": "object", "additionalProperties": FIELD_MESSAGES})
class FieldErrorsField(serializers.DictField):
    pass


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="what went wrong, for a person to read")


class ValidationErrorsSerializer(serializers.Serializer):
    # Declared fields leave the class body, so `Serializer.errors` is not shadowed at runtime.
    errors = FieldErrorsField(  # type: ignore[assignment]
        help_text="messages per input field; `non_field_errors` for the input as a whole"
    )


CONFLICT = OpenApiResponse(
    ErrorDetailSerializer, description="The object's current state does not allow this."
)
NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description="There is nothing to answer yet.")

_DESCRIPTIONS = {
    "400": "Invalid input: messages per field, or one message when the request as a whole "
    "cannot be read or is refused.",
    "401": "No credentials, or the session token is invalid or expired.",
    "403": "Signed in but not allowed: a role, a verified e-mail address or identity, "
    "ownership or the CSRF token is missing.",
    "404": "No such object, or none this account may see.",
    "413": "The request body is larger than this endpoint accepts.",
    "415": "The request body's Content-Type is not one this endpoint reads.",
    "429": "Too many requests; try again after the number of seconds in Retry-After.",
}
_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": "how to authenticate (the session token header)",
        }
    },
    "429": {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 0},
            "description": "seconds to wait before the next request",
        }
    },
}
_BODY_METHODS = {"POST", "PUT", "PATCH"}


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: from a response, how to call `operation_id` next.

    `parameters` maps the target's parameter names to runtime expressions such as
    `$response.body#/id` or `$request.path.public_id`.
    """

    operation_id: str
    parameters: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def as_openapi(self) -> dict[str, Any]:
        link: dict[str, Any] = {"operationId": self.operation_id, "parameters": self.parameters}
        if self.description:
            link["description"] = self.description
        return link


def response_links(status: int, **links: Link) -> Callable[[F], F]:
    """Declare what a client may do next with the `status` response of a view method."""

    def decorate(method: F) -> F:
        declared: dict[int, dict[str, Link]] = dict(getattr(method, "_openapi_links", {}))
        declared[status] = {**declared.get(status, {}), **links}
        method._openapi_links = declared  # type: ignore[attr-defined]
        return method

    return decorate


class AutoSchema(openapi.AutoSchema):
    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: Any,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            responses.setdefault(status, self._error_response(status))
        handler = getattr(self.view, method.lower(), None)
        for status, links in getattr(handler, "_openapi_links", {}).items():
            response = responses.get(str(status))
            if response is None:
                raise ImproperlyConfigured(
                    f"{method} {path} declares links for {status}, which it does not document."
                )
            response["links"] = {name: link.as_openapi() for name, link in links.items()}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        has_body = "requestBody" in operation
        has_query = any(param.get("in") == "query" for param in operation.get("parameters", []))
        statuses = []
        if has_body or has_query or self.method not in {"GET", "HEAD"}:
            statuses.append("400")
        if self._needs_account():
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        if has_body and self.method in _BODY_METHODS:
            statuses += ["413", "415"]
        if self.view.get_throttles():
            statuses.append("429")
        return statuses

    def _needs_account(self) -> bool:
        return not all(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )

    def _error_response(self, status: str) -> dict[str, Any]:
        detail = self.resolve_serializer(ErrorDetailSerializer, "response").ref
        if status == "400":
            invalid = self.resolve_serializer(ValidationErrorsSerializer, "response").ref
            schema: dict[str, Any] = {"oneOf": [invalid, detail]}
        else:
            schema = detail
        response: dict[str, Any] = {
            "content": {"application/json": {"schema": schema}},
            "description": _DESCRIPTIONS[status],
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        return response


def check_links(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: every link names an operation of this schema and only the
    parameters that operation takes."""
    operations: dict[str, dict[str, Any]] = {}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            operations[operation["operationId"]] = operation
    for operation_id, operation in operations.items():
        for status, response in operation["responses"].items():
            for name, link in response.get("links", {}).items():
                target = operations.get(link["operationId"])
                if target is None:
                    raise ImproperlyConfigured(
                        f"{operation_id} {status} link {name!r} names the unknown operation "
                        f"{link['operationId']!r}."
                    )
                known = {param["name"] for param in target.get("parameters", [])}
                unknown = set(link["parameters"]) - known
                if unknown:
                    raise ImproperlyConfigured(
                        f"{operation_id} {status} link {name!r} sets {sorted(unknown)}, which "
                        f"{link['operationId']} does not take."
                    )
    return result
