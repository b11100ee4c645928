"""The request's database connection, taken before anything else runs."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse

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
