"""What the OpenAPI schema promises about specific operations: the responses they really
give, errors included, and the links a client (or a stateful test) follows."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

ERROR = "#/components/schemas/ErrorDetail"
INVALID = "#/components/schemas/ValidationErrors"


@pytest.fixture
def schema(db: None) -> dict[str, Any]:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return dict(response.json())


def operation(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return dict(schema["paths"][path][method])


def body_schema(response: dict[str, Any], media_type: str = "application/json") -> Any:
    return response["content"][media_type]["schema"]


def test_error_shapes_are_components(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["ErrorDetail"]["required"] == ["detail"]
    assert components["ValidationErrors"]["required"] == ["errors"]
    messages = components["ValidationErrors"]["properties"]["errors"]["additionalProperties"]
    assert {"type": "array", "items": {"type": "string"}} in messages["oneOf"]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        # signed in, validated body, an object in the path, domain conflicts
        (
            "post",
            "/api/v1/kyc/cases/{public_id}/submit/",
            {"200", "400", "401", "403", "404", "409", "429"},
        ),
        # a body: too large, wrong content type
        (
            "post",
            "/api/v1/projects/",
            {"201", "400", "401", "403", "413", "415", "429"},
        ),
        # public: no 401/403; a query to validate
        ("get", "/api/v1/ledger/entries/", {"200", "400", "429"}),
        # public, no query: only the throttle, and 404 before the first head
        ("get", "/api/v1/ledger/sth/", {"200", "404", "429"}),
        # signed in, nothing to validate
        ("get", "/api/v1/me/", {"200", "401", "403", "429"}),
        # answers 200 with the count erased, or 409 while the case is under review
        ("delete", "/api/v1/kyc/me/data/", {"200", "400", "401", "403", "409", "429"}),
        # moderators only; an unknown ring; a ring decided already
        (
            "post",
            "/api/v1/reputation/rings/{public_id}/penalise/",
            {"200", "400", "401", "403", "404", "409", "413", "415", "429"},
        ),
        # 201 for a new case (not 200)
        ("post", "/api/v1/kyc/cases/", {"201", "400", "401", "403", "409", "413", "415", "429"}),
    ],
)
def test_operations_document_the_statuses_they_answer(
    schema: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    responses = operation(schema, method, path)["responses"]
    assert set(responses) == statuses
    for status in statuses - {"200", "201", "204"}:
        expected = {"oneOf": [{"$ref": INVALID}, {"$ref": ERROR}]} if status == "400" else None
        assert body_schema(responses[status]) == (expected or {"$ref": ERROR})
    if "429" in statuses:
        assert "Retry-After" in responses["429"]["headers"]


def test_required_query_parameters_are_required(schema: dict[str, Any]) -> None:
    def required(path: str) -> dict[str, bool]:
        parameters = operation(schema, "get", path)["parameters"]
        return {p["name"]: p.get("required", False) for p in parameters if p["in"] == "query"}

    assert required("/api/v1/ledger/entries/") == {"start": True, "end": False}
    assert required("/api/v1/ledger/proof/consistency/") == {"first": True, "second": True}


def test_paged_lists_are_documented_as_pages(schema: dict[str, Any]) -> None:
    credits = body_schema(operation(schema, "get", "/api/v1/credits/")["responses"]["200"])
    page = schema["components"]["schemas"][credits["$ref"].rsplit("/", 1)[1]]
    assert page["type"] == "object"
    assert set(page["required"]) >= {"results", "balance", "next", "previous"}
    rings = body_schema(operation(schema, "get", "/api/v1/reputation/rings/")["responses"]["200"])
    page = schema["components"]["schemas"][rings["$ref"].rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"results", "next", "previous"}
    feed = body_schema(operation(schema, "get", "/api/v1/projects/")["responses"]["200"])
    assert schema["components"]["schemas"][feed["$ref"].rsplit("/", 1)[1]]["type"] == "object"


def test_item_upload_documents_json_json_lines_and_csv(schema: dict[str, Any]) -> None:
    content = operation(schema, "post", "/api/v1/projects/{public_id}/items/")["requestBody"][
        "content"
    ]
    assert set(content) == {"application/json", "application/x-ndjson", "text/csv"}
    for media_type in ("application/json", "application/x-ndjson"):
        assert content[media_type]["schema"]["type"] == "array"
    assert content["text/csv"]["schema"]["type"] == "string"


@pytest.mark.parametrize(
    ("method", "path", "status", "link", "target"),
    [
        ("post", "/api/v1/kyc/cases/", "201", "documents", "v1_kyc_cases_documents_create"),
        ("post", "/api/v1/kyc/cases/", "201", "submit", "v1_kyc_cases_submit_create"),
        ("post", "/api/v1/projects/", "201", "items", "v1_projects_items_create"),
        (
            "post",
            "/api/v1/projects/{public_id}/items/",
            "201",
            "publish",
            "v1_projects_publish_create",
        ),
        (
            "post",
            "/api/v1/projects/{public_id}/next/",
            "201",
            "answer",
            "v1_assignments_answer_create",
        ),
        ("get", "/api/v1/kyc/queue/", "200", "claim", "v1_kyc_cases_claim_create"),
        ("get", "/api/v1/kyc/checks/next/", "200", "vote", "v1_kyc_checks_vote_create"),
    ],
)
def test_links_lead_to_the_next_step(
    schema: dict[str, Any], method: str, path: str, status: str, link: str, target: str
) -> None:
    links = operation(schema, method, path)["responses"][status]["links"]
    assert links[link]["operationId"] == target


def test_allauth_headless_keeps_its_own_schema(schema: dict[str, Any]) -> None:
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_a_draft_project_has_no_publication_time(schema: dict[str, Any]) -> None:
    published_at = schema["components"]["schemas"]["FeedProject"]["properties"]["published_at"]
    assert published_at["nullable"] is True


def test_project_kinds_are_an_enum(schema: dict[str, Any]) -> None:
    kinds = schema["components"]["schemas"]["ProjectKindEnum"]["enum"]
    assert kinds == ["single_label", "multi_label", "pairwise", "rating", "free_text"]
    # KYC's document kinds keep the name clients were generated with.
    assert schema["components"]["schemas"]["KindEnum"]["enum"] == ["id_front", "id_back", "selfie"]
