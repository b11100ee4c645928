"""Domain errors that services raise and the API maps to HTTP statuses in one place.

Services stay free of HTTP; `core.handlers.exception_handler` turns these into the
error shape of the API contract, and page views show `message` to the person.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    status_code = 400


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request is valid but the current state forbids it (illegal transition, lost race)."""

    status_code = 409


class RetryLater(DomainError):
    """The request is fine but cannot be served now; `retry_after` seconds is a fair wait.
    The API sends it as the Retry-After header."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class ServerBusy(RetryLater):
    status_code = 503


class TooManyAtOnce(RetryLater):
    """One person asked for more at once than anyone may have in flight."""

    status_code = 429
