"""Input PostgreSQL cannot store, or that would exhaust the decoder, is a 400 naming the
field, on every way into the task feed: item uploads, answers (API and work page), and the
results' query parameters. Nothing of a refused request is kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tasks.models import Answer, AssignmentStatus, Item
from tasks.services.feed import item_claim_next
from tasks.services.projects import project_create, project_publish

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
VERY_DEEP = "[" * 100_000 + "]" * 100_000


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


BAD_ITEMS = [
    # (item as JSON text, the start of its error after "line 2: ")
    ('{"payload": {"score": NaN}}', "payload.score: NaN and Infinity are not JSON numbers"),
    ('{"payload": {"score": Infinity}}', "payload.score: NaN and Infinity"),
    ('{"payload": {"score": [-Infinity]}}', "payload.score[0]: NaN and Infinity"),
    ('{"payload": {"score": 1e999}}', "payload.score: number is out of range"),
    ('{"payload": {"text": "a\\u0000b"}}', "payload.text: text must not contain the NUL"),
    ('{"payload": {"a\\u0000": 1}}', "payload: a key must not contain the NUL"),
    ('{"payload": {"t": 1}, "ref": "r\\u0000"}', "ref: text must not contain the NUL"),
    ('{"payload": {"text": "\\ud800"}}', "payload.text: text must not contain an unpaired"),
    ('{"payload": {"\\udc00": 1}}', "payload: a key must not contain an unpaired"),
    ('{"payload": {"t": 1}, "ref": "\\udfff"}', "ref: text must not contain an unpaired"),
    ('{"payload": {"n": ' + "9" * 5000 + "}}", "payload.n: whole numbers may have at most"),
    ('{"payload": {"a": ' + DEEP + "}}", "JSON may nest at most"),
]


@pytest.mark.parametrize(("item", "error"), BAD_ITEMS, ids=lambda value: value[:40])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_an_item_postgresql_cannot_store_is_a_line_error_and_nothing_is_kept(
    make_project: Any, requester: Any, fmt: str, item: str, error: str
) -> None:
    project = make_project(items=0, publish=False)
    good = '{"payload": {"t": "fine"}}'
    if fmt == "jsonl":
        body, content_type = f"{good}\n{item}\n", "application/x-ndjson"
    else:
        body, content_type = f"[{good},\n{item}]", "application/json"
    response = client_for(requester).generic(
        "POST",
        f"/api/v1/projects/{project.public_id}/items/",
        body.encode("utf-8"),
        content_type=content_type,
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]["items"]
    assert errors[0].startswith(f"line 2: {error}"), errors
    assert not Item.objects.filter(project=project).exists()


def test_a_json_list_goes_on_after_a_refused_item_and_reports_every_one(
    make_project: Any, requester: Any
) -> None:
    project = make_project(items=0, publish=False)
    body = '[{"payload": {"a": NaN}},\n{"payload": {"t": 1}},\n{"payload": {"b": "\\u0000"}}]'
    response = client_for(requester).generic(
        "POST",
        f"/api/v1/projects/{project.public_id}/items/",
        body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert [error.split(":")[0] for error in response.json()["errors"]["items"]] == [
        "line 1",
        "line 3",
    ]
    assert not Item.objects.filter(project=project).exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        # NUL, which text and jsonb refuse, in a free-text answer
        ('{"value": "a\\u0000b"}', "value", "Text must not contain the NUL character"),
        # a lone surrogate, which is no UTF-8
        ('{"value": "\\ud800"}', "value", "Text must not contain an unpaired surrogate"),
        # not numbers at all
        ('{"value": NaN}', "value", "NaN and Infinity are not JSON numbers"),
        # nesting deeper than the limit, inside the value and as deep as the attack
        ('{"value": ' + DEEP + "}", "non_field_errors", "JSON may nest at most"),
        ('{"value": ' + VERY_DEEP + "}", "non_field_errors", "JSON may nest at most"),
    ],
    ids=["nul", "surrogate", "nan", "1000-deep", "100000-deep"],
)
def test_an_answer_postgresql_cannot_store_is_a_400_and_nothing_is_kept(
    requester: Any, pioneer: Any, upload: Any, body: str, field: str, message: str
) -> None:
    project = project_create(owner=requester, title="Words", kind="free_text")
    upload(project, [{"payload": {"t": 1}}])
    project = project_publish(project=project, actor=requester)
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    response = client_for(pioneer).generic(
        "POST",
        f"/api/v1/assignments/{claim.assignment.public_id}/answer/",
        body,
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][field][0].startswith(message)
    assert not Answer.objects.exists()
    claim.assignment.refresh_from_db()
    assert claim.assignment.status == AssignmentStatus.RESERVED


def test_a_nul_in_a_work_page_answer_is_a_400_and_nothing_is_kept(
    requester: Any, pioneer: Any, upload: Any
) -> None:
    project = project_create(owner=requester, title="Words", kind="free_text")
    upload(project, [{"payload": {"t": 1}}])
    project = project_publish(project=project, actor=requester)
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    client = Client()
    client.force_login(pioneer)
    response = client.post(
        f"/tasks/assignments/{claim.assignment.public_id}/answer/", {"value": "a\x00b"}
    )
    assert response.status_code == 400
    assert b"must not contain the NUL character" in response.content
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("min_confidence=nan", "min_confidence"),  # NaN passes every range check
        ("max_confidence=NaN", "max_confidence"),
        ("page=" + "9" * 30, "page"),  # an offset past PostgreSQL's bigint
    ],
)
def test_query_numbers_that_are_not_finite_or_overflow_are_400(
    make_project: Any, requester: Any, query: str, field: str
) -> None:
    project = make_project(items=1)
    response = client_for(requester).get(f"/api/v1/projects/{project.public_id}/results/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gold_rate", "nan"),  # NaN as JSON text slips past DRF's FloatField
        ("gold_min_accuracy", "Infinity"),
    ],
)
def test_project_rates_must_be_finite(requester: Any, field: str, value: str) -> None:
    response = client_for(requester).post(
        "/api/v1/projects/", {"title": "t", "kind": "free_text", field: value}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][field] == ["Give a finite number."]


def test_a_cursor_whose_position_is_not_a_key_is_a_field_error(requester: Any) -> None:
    import base64

    cursor = base64.b64encode(b"p=abc").decode()
    response = client_for(requester).get(f"/api/v1/projects/?mine=1&cursor={cursor}")
    assert response.status_code == 400
    assert response.json() == {"errors": {"cursor": ["Invalid cursor"]}}
