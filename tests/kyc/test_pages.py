from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from tests.conftest import sign_in_with_totp
from tests.kyc.conftest import case_fields, upload

pytestmark = pytest.mark.django_db


def test_wizard_refuses_a_bad_photo_and_keeps_nothing(user_factory: Any) -> None:
    client = Client()
    client.force_login(user_factory())
    fields = {
        **case_fields(),
        "id_front": upload("x.jpg", b"not an image at all" * 20),
        "selfie": upload(),
    }
    response = client.post("/kyc/", fields)
    assert response.status_code == 400
    assert b"not a readable" in response.content


def test_queue_page_is_for_moderators_only(user_factory: Any) -> None:
    client = Client()
    client.force_login(user_factory())
    assert client.get("/kyc/review/").status_code == 403


def test_queue_page_queries_do_not_grow(
    user_factory: Any, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    from rest_framework.test import APIClient

    from tests.kyc.conftest import submitted_case

    moderator = sign_in_with_totp(Client(), user_factory(roles=[Role.MODERATOR], totp=True))
    for n in range(1, 16):
        pioneer = APIClient()
        pioneer.force_login(user_factory())
        submitted_case(pioneer, django_capture_on_commit_callbacks, document_number=f"QQ{n:07d}")
        if n in (1, 15):
            with django_assert_max_num_queries(14):
                response = moderator.get("/kyc/review/")
            assert response.status_code == 200
            assert response.content.count(b"/kyc/review/") >= n
