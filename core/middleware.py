"""Middleware every request passes through.

`DatabaseConnectionMiddleware` borrows the request's database connection before anything
else runs. `DomainErrorMiddleware` is the page side of domain errors: one handler instead of
a try/except in every view. A service raising `DomainError` from a page view becomes the
error page with the error's status and message (a 404 for NotFound, 409 for a lost race).
Views that re-render a form with the message beside its field catch the error themselves
and call `form_error`. The API never reaches this: DRF maps domain errors in
`core.handlers.exception_handler`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import DomainError
from core.views import service_unavailable

logger = logging.getLogger(__name__)

# The health check reports an unreachable database in its own words (`core.views.healthz`).
REPORTS_ITS_OWN_DATABASE = frozenset({"/healthz"})


class DatabaseConnectionMiddleware:
    """Borrow the request's database connection first; 503 with Retry-After when none comes.

    With the pool (settings: DB_POOL_*), a request that finds every connection busy waits
    DB_POOL_TIMEOUT seconds and then gets the pool's error. Raised later, inside a view or
    another middleware, Django would turn that into a 500 before any outer middleware could
    see it; raised here, where nothing has run yet, it becomes a clear "come back" (JSON for
    the API, a page for people). The connection goes back to the pool when the request
    ends, so holding it from the start costs nothing: nearly every request reads the
    session anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path not in REPORTS_ITS_OWN_DATABASE:
            try:
                connection.ensure_connection()
            except OperationalError:
                logger.warning("no database connection within the pool timeout: answering 503")
                return service_unavailable(request)
        return self.get_response(request)


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
