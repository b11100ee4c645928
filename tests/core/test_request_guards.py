"""Guards every request passes before a view reads its body: the JSON rule on every JSON
endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role

VERY_DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("patch", "/api/v1/me/", Role.PIONEER),  # the profile
        ("post", "/api/v1/projects/", Role.REQUESTER),  # a new project
        ("post", "/api/v1/kyc/cases/", Role.PIONEER),  # a new identity case
    ],
)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (VERY_DEEP, "JSON may nest at most 64 levels deep."),  # the attack
        ('{"title": ' + VERY_DEEP + "}", "JSON may nest at most 64 levels deep."),  # in a field
        ('{"title": ', "Not valid JSON (Expecting value) at line 1 column 11."),  # truncated
    ],
    ids=["deep", "deep-field", "truncated"],
)
def test_any_json_endpoint_answers_400_with_a_message(
    user_factory: Any, method: str, path: str, role: Role, body: str, message: str
) -> None:
    client = APIClient()
    client.force_login(user_factory(roles=[role]))
    response = getattr(client, method)(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {"errors": {"non_field_errors": [message]}}
