"""Bulk item upload: JSON list or JSONL, streamed, errors by line, all or nothing."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks.models import AuditEvent, Item
from tasks.services.items import items_upload
from tasks.services.projects import project_close, project_create
from tests.tasks.conftest import jsonl

pytestmark = pytest.mark.django_db


def post(client: APIClient, project: Any, body: bytes, content_type: str) -> Any:
    return client.generic(
        "POST", f"/api/v1/projects/{project.public_id}/items/", body, content_type=content_type
    )


@pytest.fixture
def api(requester: Any) -> APIClient:
    client = APIClient()
    client.force_login(requester)
    return client


def test_jsonl_upload_with_gold(make_project: Any, api: APIClient) -> None:
    project = make_project(items=0, publish=False)
    body = jsonl(
        [
            {"payload": {"text": "a"}, "ref": "ext-1"},
            {"payload": {"text": "b"}},
            {"payload": {"text": "g"}, "gold": "dog"},
        ]
    )
    response = post(api, project, body, "application/x-ndjson")
    assert response.status_code == 201, response.json()
    assert response.json() == {"items": 2, "gold": 1}
    assert Item.objects.filter(project=project, is_gold=False, open_slots=3).count() == 2
    gold = Item.objects.get(project=project, is_gold=True)
    assert gold.gold_answer == "dog"
    assert gold.open_slots == 0
    assert AuditEvent.objects.filter(project=project, action="items.uploaded").exists()


def test_json_list_upload(make_project: Any, api: APIClient) -> None:
    project = make_project(items=0, publish=False)
    body = json.dumps([{"payload": {"text": str(n)}} for n in range(10)]).encode()
    response = post(api, project, body, "application/json")
    assert response.status_code == 201
    assert Item.objects.filter(project=project).count() == 10


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        # malformed JSONL on line 2, and a label outside the set on line 3: both reported
        (
            b'{"payload": {"t": 1}}\n{"payload": \n{"payload": {"t": 3}, "gold": "horse"}\n',
            "application/x-ndjson",
            ["line 2: not valid JSON", "line 3: gold: Choose one of"],
        ),
        # an item that is not an object
        (b'{"payload": {"t": 1}}\n[1, 2]\n', "application/x-ndjson", ["line 2: each item"]),
        # a payload that is not an object
        (b'{"payload": "text"}\n', "application/x-ndjson", ["line 1: payload must be"]),
        # an unknown field (a typo of gold)
        (b'{"payload": {"t": 1}, "golden": "cat"}\n', "application/x-ndjson", ["line 1: unknown"]),
        # an item over the size limit
        (
            b'{"payload": {"t": 1}}\n{"payload": {"t": "' + b"x" * 70_000 + b'"}}\n',
            "application/x-ndjson",
            ["line 2: item is larger than"],
        ),
        # a malformed JSON list names the line of the bad element
        (b'[\n{"payload": {"t": 1}},\n{"payload": }\n]', "application/json", ["line 3: not valid"]),
        # an empty upload
        (b"", "application/x-ndjson", ["line 1: the upload holds no items"]),
        # CSV: a row short of cells, a gold label outside the set, each named by its line
        (b"text,gold\na\nb,horse\n", "text/csv", ["line 2: expected 2 cells", "line 3: gold"]),
        # CSV with only ref and gold columns has nothing to label
        (b"ref,gold\nr1,cat\n", "text/csv", ["line 1: the header names no payload"]),
        # CSV that is not UTF-8
        (b"text\n\xff\xfe\n", "text/csv", ["line 2: not UTF-8"]),
        # a CSV header naming a column twice
        (b"text,payload.text\na,b\n", "text/csv", ["line 1: the header names a column twice"]),
    ],
)
def test_bad_uploads_are_refused_by_line_and_nothing_is_kept(
    make_project: Any, api: APIClient, body: bytes, content_type: str, expected: list[str]
) -> None:
    project = make_project(items=0, publish=False)
    response = post(api, project, body, content_type)
    assert response.status_code == 400
    errors = response.json()["errors"]["items"]
    assert len(errors) == len(expected), errors
    for error, start in zip(errors, expected, strict=True):
        assert error.startswith(start), errors
    assert not Item.objects.filter(project=project).exists()


def test_csv_upload_from_a_spreadsheet(make_project: Any, api: APIClient) -> None:
    project = make_project(items=0, publish=False, kind="multi_label")
    body = (
        "\ufefftext,source,ref,gold\r\n"
        '"a cat, sleeping",cam 1,ext-1,\r\n'
        '"two lines\r\nof text",cam 2,ext-2,\r\n'
        "gold item,cam 3,g-1,cat; dog\r\n"
    ).encode()
    response = post(api, project, body, "text/csv")
    assert response.status_code == 201, response.json()
    assert response.json() == {"items": 2, "gold": 1}
    rows = list(Item.objects.filter(project=project).order_by("pk"))
    assert [row.payload for row in rows] == [
        {"text": "a cat, sleeping", "source": "cam 1"},
        {"text": "two lines\r\nof text", "source": "cam 2"},
        {"text": "gold item", "source": "cam 3"},
    ]
    assert [row.ref for row in rows] == ["ext-1", "ext-2", "g-1"]
    assert rows[2].gold_answer == ["cat", "dog"]


@pytest.mark.parametrize("kind", ["single_label", "multi_label", "pairwise", "rating", "free_text"])
@pytest.mark.parametrize(
    ("fmt", "content_type"), [("csv", "text/csv"), ("jsonl", "application/x-ndjson")]
)
def test_the_sample_file_of_every_kind_uploads_as_it_is(
    requester: Any, api: APIClient, kind: str, fmt: str, content_type: str
) -> None:
    labels = {"labels": ["cat", "dog"]} if kind.endswith("_label") else {}
    project = project_create(owner=requester, title="Sample", kind=kind, **labels)
    sample = api.get(f"/requester/projects/{project.public_id}/sample.{fmt}")
    assert sample.status_code == 200
    assert f"sample-items-{kind}.{fmt}" in sample["Content-Disposition"]
    response = post(api, project, sample.content, content_type)
    assert response.status_code == 201, response.json()
    assert response.json() == {"items": 2, "gold": 1}


def test_good_lines_before_a_late_error_are_rolled_back(
    make_project: Any, api: APIClient, settings: Any
) -> None:
    settings.TASKS_UPLOAD_BATCH = 10  # several batches are written before the error
    project = make_project(items=0, publish=False)
    records = [{"payload": {"n": n}} for n in range(55)] + [{"payload": {}}]
    response = post(api, project, jsonl(records), "application/x-ndjson")
    assert response.status_code == 400
    assert response.json()["errors"]["items"][0].startswith("line 56:")
    assert not Item.objects.filter(project=project).exists()


def test_pairwise_items_need_both_sides(requester: Any, api: APIClient) -> None:
    project = project_create(owner=requester, title="Which is better", kind="pairwise")
    response = post(api, project, b'{"payload": {"a": "x"}}\n', "application/x-ndjson")
    assert response.status_code == 400
    assert "line 1" in response.json()["errors"]["items"][0]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("text/plain", 400),  # neither JSON nor JSONL
        ("multipart/form-data; boundary=x", 400),  # a form is not an item list
    ],
)
def test_unknown_content_type(
    make_project: Any, api: APIClient, content_type: str, status: int
) -> None:
    project = make_project(items=0, publish=False)
    response = post(api, project, b'{"payload": {"t": 1}}\n', content_type)
    assert response.status_code == status
    assert "items" in response.json()["errors"]


def test_body_over_the_upload_limit_is_413(
    make_project: Any, api: APIClient, settings: Any
) -> None:
    settings.TASKS_UPLOAD_MAX_BYTES = 100
    project = make_project(items=0, publish=False)
    response = post(api, project, jsonl([{"payload": {"n": n}} for n in range(20)]), "text/jsonl")
    assert response.status_code == 413
    assert not Item.objects.filter(project=project).exists()


def test_other_requester_and_pioneers_cannot_upload(
    make_project: Any, pioneer: Any, user_factory: Any
) -> None:
    from accounts.roles import Role

    project = make_project(items=0, publish=False)
    for person in (pioneer, user_factory(roles=[Role.REQUESTER])):
        client = APIClient()
        client.force_login(person)
        response = post(client, project, b'{"payload": {"t": 1}}\n', "application/x-ndjson")
        assert response.status_code == 404


def test_closed_project_takes_no_items(make_project: Any, api: APIClient) -> None:
    project = make_project(items=1)
    project_close(project=project, actor=project.owner)
    response = post(api, project, b'{"payload": {"t": 1}}\n', "application/x-ndjson")
    assert response.status_code == 409


class _Lines:
    """A request body that is generated as it is read: never whole in memory."""

    def __init__(self, count: int) -> None:
        self.lines = (
            f'{{"payload": {{"text": "item number {n} of the big upload"}}, "ref": "{n}"}}\n'.encode()
            for n in range(count)
        )

    def readline(self, size: int = -1) -> bytes:
        return next(self.lines, b"")

    def read(self, size: int = -1) -> bytes:
        return self.readline()


def test_100000_items_in_one_api_request(make_project: Any, api: APIClient) -> None:
    project = make_project(items=0, publish=False)
    body = b"".join(_Lines(100_000).lines)
    response = post(api, project, body, "application/x-ndjson")
    assert response.status_code == 201, response.content[:500]
    assert response.json() == {"items": 100_000, "gold": 0}
    assert Item.objects.filter(project=project).count() == 100_000


def test_upload_memory_stays_bounded(make_project: Any, requester: Any) -> None:
    project = make_project(items=0, publish=False)
    tracemalloc.start()
    try:
        items_upload(project=project, actor=requester, stream=_Lines(10_000), fmt="jsonl")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert Item.objects.filter(project=project).count() == 10_000
    # Five batches go in; only one batch (2,000 items) is ever held at a time.
    assert peak < 12 * 1024 * 1024, peak


def test_browser_session_upload_passes_the_csrf_check(make_project: Any, requester: Any) -> None:
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    project = make_project(items=0, publish=False)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(requester)
    body = jsonl([{"payload": {"t": 1}}])
    refused = post(client, project, body, "application/x-ndjson")
    assert refused.status_code == 403  # no token: the session alone is not enough
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.generic(
        "POST",
        f"/api/v1/projects/{project.public_id}/items/",
        body,
        content_type="application/x-ndjson",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert response.status_code == 201, response.content
