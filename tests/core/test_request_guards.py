"""Guards every request passes before a view reads its body: the JSON rule on every JSON
endpoint, and the cap on a whole request body, in Django and one layer out in ASGI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.roles import Role
from pioneer_platform.asgi import application
from tests.kyc.conftest import case_fields, photo, upload

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


@pytest.mark.django_db
def test_a_multipart_body_over_the_cap_is_413_before_it_is_parsed(
    user: Any, settings: Any, tmp_path: Path
) -> None:
    from kyc.models import Document

    settings.MEDIA_ROOT = tmp_path
    client = APIClient()
    client.force_login(user)
    case_id = client.post("/api/v1/kyc/cases/", case_fields(), format="json").json()["id"]
    image = photo()
    # A photo the document upload would take, in a request just over the cap.
    settings.REQUEST_MAX_MULTIPART_BYTES = len(image)
    response = client.post(
        f"/api/v1/kyc/cases/{case_id}/documents/",
        {"kind": "id_front", "file": upload("id.jpg", image)},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": f"The request body is larger than {len(image)} bytes."}
    assert not Document.objects.exists()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_a_page_form_over_the_cap_gets_the_error_page(
    client: Any, user: Any, settings: Any
) -> None:
    settings.REQUEST_MAX_MULTIPART_BYTES = 1000
    client.force_login(user)
    avatar = SimpleUploadedFile("a.png", b"\x89PNG" + b"\0" * 5000)
    response = client.post("/profile/", {"avatar": avatar})
    assert response.status_code == 413
    assert b"larger than 1000 bytes" in response.content
    assert b"<html" in response.content


def http_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def test_asgi_answers_a_declared_length_over_the_cap_before_the_body_arrives(
    settings: Any,
) -> None:
    settings.REQUEST_MAX_MULTIPART_BYTES = 50_000
    scope = http_scope(
        "/api/v1/kyc/cases/00000000-0000-0000-0000-000000000000/documents/",
        [
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", str(10**9).encode()),
        ],
    )
    app = ApplicationCommunicator(application, scope)
    # The first chunks of a gigabyte announced: the answer comes without any of them read.
    for _ in range(3):
        await app.send_input({"type": "http.request", "body": b"x" * 1000, "more_body": True})
    start = await app.receive_output(timeout=10)
    assert start["type"] == "http.response.start"
    assert start["status"] == 413
    body = await app.receive_output(timeout=10)
    assert b"larger than 50000 bytes" in body["body"]
    await app.wait(timeout=10)
    assert app.input_queue.qsize() == 3


async def test_asgi_cuts_off_a_body_without_a_length_once_it_passes_the_cap(
    settings: Any,
) -> None:
    settings.REQUEST_MAX_BYTES = 100_000
    scope = http_scope("/api/v1/me/", [(b"content-type", b"application/json")])
    app = ApplicationCommunicator(application, scope)
    for _ in range(10):
        await app.send_input({"type": "http.request", "body": b" " * 30_000, "more_body": True})
    start = await app.receive_output(timeout=10)
    assert start["status"] == 413
    assert b"larger than 100000 bytes" in (await app.receive_output(timeout=10))["body"]
    await app.wait(timeout=10)
    # The fourth chunk passed the cap; the six after it were never taken.
    assert app.input_queue.qsize() == 6
