"""The page side of domain errors: one handler instead of a try/except in every view.

A service raising `DomainError` from a page view becomes the error page with the error's
status and message (a 404 for NotFound, 409 for a lost race). Views that re-render a form
with the message beside its field catch the error themselves and call `form_error`. The API
never reaches this: DRF maps domain errors in `core.handlers.exception_handler`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import DomainError

TITLES = {400: "Not possible", 403: "Not allowed", 404: "Not found", 409: "Not any more"}


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        status = exception.status_code
        return render(
            request,
            "error.html",
            {
                "title": TITLES.get(status, "Not possible"),
                "detail": exception.message,
                "status": status,
            },
            status=status,
        )


def form_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a domain error on the form: beside its field when the form has it."""
    field: Any = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
