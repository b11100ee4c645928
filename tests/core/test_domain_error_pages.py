from __future__ import annotations

import pytest
from django import forms
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.middleware import DomainErrorMiddleware, form_error


def _never_called(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the middleware only handles exceptions here")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("Pick a date after today."), 400),
        (NotFound("No such workshop."), 404),
        (Conflict("Someone took the last seat."), 409),  # a lost race reads as a conflict
    ],
)
def test_domain_errors_become_error_pages_with_their_status(
    rf: RequestFactory, error: DomainError, status: int
) -> None:
    middleware = DomainErrorMiddleware(_never_called)
    response = middleware.process_exception(rf.post("/somewhere/"), error)
    assert response is not None
    assert response.status_code == status
    assert error.message in response.content.decode()


def test_other_exceptions_are_left_to_django(rf: RequestFactory) -> None:
    middleware = DomainErrorMiddleware(_never_called)
    assert middleware.process_exception(rf.get("/"), ValueError("bug")) is None


class _Form(forms.Form):
    capacity = forms.IntegerField()


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("capacity", "capacity"),  # the form has the field: the message sits beside it
        ("something_else", "__all__"),  # unknown to the form: a message for the whole form
        (None, "__all__"),
    ],
)
def test_form_error_puts_the_message_where_the_form_shows_it(field: str | None, where: str) -> None:
    form = _Form({"capacity": "3"})
    assert form.is_valid()
    form_error(form, InvalidInput("Too small.", field=field))
    assert form.errors[where] == ["Too small."]
