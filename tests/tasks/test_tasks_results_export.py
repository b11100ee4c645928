"""Results for the requester and the provable export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from ledger.models import Leaf
from ledger.pseudonyms import pseudonym
from reputation.services.events import event_record
from tasks import export_format, results
from tasks.models import AuditEvent, DatasetExport
from tasks.services import exports
from tasks.services.exports import export_create
from tasks.services.feed import assignment_answer, item_claim_next
from tasks.services.projects import project_publish, project_update

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def answered(make_project: Any, pioneers: Any) -> tuple[Any, list[Any]]:
    """Two items, three pioneers each: item 0 gets cat, cat, dog; item 1 gets dog x3."""
    project = make_project(items=2, overlap=3)
    people = pioneers(3)
    votes = {0: ["cat", "cat", "dog"], 1: ["dog", "dog", "dog"]}
    for index, person in enumerate(people):
        for _ in range(2):
            claim = item_claim_next(project=project, pioneer=person)
            assert claim is not None
            number = int(claim.assignment.item.payload["text"].split()[-1])
            assignment_answer(
                assignment=claim.assignment, pioneer=person, value=votes[number][index]
            )
    return project, people


def test_results_show_label_confidence_method_and_agreement(
    answered: tuple[Any, list[Any]], requester: Any
) -> None:
    project, _ = answered
    response = client_for(requester).get(f"/api/v1/projects/{project.public_id}/results/")
    assert response.status_code == 200, response.json()
    body = response.json()
    rows = {row["ref"]: row for row in body["results"]}
    assert rows["r0"]["label"] == "cat"
    assert rows["r0"]["confidence"] == pytest.approx(2 / 3, abs=0.2)
    assert rows["r0"]["method"] == "majority"
    assert rows["r0"]["answers"] == 3
    assert rows["r1"]["label"] == "dog"
    assert body["agreement"]["level"] == "nominal"
    assert body["agreement"]["items"] == 2
    assert body["agreement"]["pioneers"] == 3


@pytest.mark.parametrize("method", ["majority", "weighted", "dawid_skene"])
def test_every_method_gives_the_obvious_label(
    answered: tuple[Any, list[Any]], requester: Any, method: str
) -> None:
    project, _ = answered
    response = client_for(requester).get(
        f"/api/v1/projects/{project.public_id}/results/?method={method}"
    )
    rows = {row["ref"]: row for row in response.json()["results"]}
    assert rows["r1"]["label"] == "dog"
    assert rows["r1"]["method"] == method
    assert 0 <= rows["r1"]["confidence"] <= 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("method=vote", "method"),  # unknown aggregation method
        ("min_confidence=2", "min_confidence"),  # confidence is at most 1
        ("page=0", "page"),  # pages start at 1
    ],
)
def test_bad_result_filters_are_400(
    make_project: Any, requester: Any, query: str, field: str
) -> None:
    project = make_project(items=1)
    response = client_for(requester).get(f"/api/v1/projects/{project.public_id}/results/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_results_filter_by_label(answered: tuple[Any, list[Any]], requester: Any) -> None:
    project, _ = answered
    response = client_for(requester).get(f"/api/v1/projects/{project.public_id}/results/?label=dog")
    assert [row["ref"] for row in response.json()["results"]] == ["r1"]


def test_aggregates_are_computed_once_per_state_of_the_answers(
    answered: tuple[Any, list[Any]], monkeypatch: Any, pioneers: Any
) -> None:
    from tasks import aggregation, results

    project, _ = answered
    runs: list[int] = []
    real = aggregation.majority_vote

    def counted(answers: Any) -> Any:
        runs.append(1)
        return real(answers)

    monkeypatch.setattr(aggregation, "majority_vote", counted)
    first = results.aggregate(project=project)
    again = results.aggregate(project=project)
    assert len(runs) == 1  # a second page, filter or export reuses the first computation
    assert again.labels == first.labels

    # A new answer is a new state: computed again, and the new answer counts.
    project_update(project=project, actor=project.owner, overlap=4)
    newcomer = pioneers(1)[0]
    claim = item_claim_next(project=project, pioneer=newcomer)
    assert claim is not None
    assignment_answer(assignment=claim.assignment, pioneer=newcomer, value="bird")
    fresh = results.aggregate(project=project)
    assert len(runs) == 2
    assert sum(fresh.answer_counts.values()) == sum(first.answer_counts.values()) + 1


def test_results_page_through_filtered_and_unfiltered_items(
    make_project: Any, pioneers: Any, requester: Any
) -> None:
    """Seven items answered cat, dog, cat, ... and one left unanswered: pages come in item
    order, a filter counts only its matches, and unanswered items show only unfiltered."""
    project = make_project(items=8, overlap=1)
    [person] = pioneers(1)
    for _ in range(7):
        claim = item_claim_next(project=project, pioneer=person)
        assert claim is not None
        number = int(claim.assignment.item.payload["text"].split()[-1])
        assignment_answer(
            assignment=claim.assignment, pioneer=person, value="cat" if number % 2 == 0 else "dog"
        )
    api = client_for(requester)
    url = f"/api/v1/projects/{project.public_id}/results/"

    def refs(query: str) -> tuple[int, list[str]]:
        body = api.get(f"{url}?{query}").json()
        return body["count"], [row["ref"] for row in body["results"]]

    assert refs("page_size=3") == (8, ["r0", "r1", "r2"])
    assert refs("page_size=3&page=3") == (8, ["r6", "r7"])
    assert refs("label=cat&page_size=2&page=2") == (4, ["r4", "r6"])
    assert refs("label=dog&page_size=10") == (3, ["r1", "r3", "r5"])
    assert refs("min_confidence=0.5&page_size=10&page=2") == (7, [])
    assert refs("label=bird") == (0, [])
    body = api.get(url).json()
    assert body["agreement"]["label_counts"] == {"cat": 4, "dog": 3}
    unanswered = next(row for row in body["results"] if row["ref"] == "r7")
    assert (unanswered["label"], unanswered["answers"]) == (None, 0)


@pytest.mark.parametrize("count", [1, 20])
def test_results_query_count_does_not_grow(
    count: int,
    make_project: Any,
    pioneers: Any,
    requester: Any,
    django_assert_max_num_queries: Any,
) -> None:
    project = make_project(items=count, overlap=1)
    [person] = pioneers(1)
    while (claim := item_claim_next(project=project, pioneer=person)) is not None:
        assignment_answer(assignment=claim.assignment, pioneer=person, value="cat")
    api = client_for(requester)
    with django_assert_max_num_queries(14):
        response = api.get(f"/api/v1/projects/{project.public_id}/results/")
    assert response.json()["count"] == count


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_is_streamed_and_its_hash_is_in_the_ledger(
    answered: tuple[Any, list[Any]], requester: Any, fmt: str
) -> None:
    project, people = answered
    response = client_for(requester).post(
        f"/api/v1/projects/{project.public_id}/export/?format={fmt}"
    )
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    digest = hashlib.sha256(body).hexdigest()
    assert response["X-Export-SHA256"] == digest

    export = DatasetExport.objects.get(project=project)
    assert (export.sha256, export.items, export.answers, export.format) == (digest, 2, 6, fmt)
    leaf = Leaf.objects.get(index=export.ledger_index)
    entry = json.loads(leaf.data)
    assert entry["kind"] == "dataset.export"
    assert entry["payload"] == {
        "project": str(project.public_id),
        "format": fmt,
        "sha256": digest,
        "items": 2,
        "answers": 6,
        "exported_at": export.exported_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert f"/transparency/?index={export.ledger_index}" in response["Link"]
    assert AuditEvent.objects.filter(project=project, action="dataset.exported").exists()

    text = body.decode()
    # Provenance by keyed pseudonym: no e-mail, no user id.
    for person in people:
        assert person.email not in text
        assert str(person.public_id) not in text
    expected = {results.pioneer_pseudonym(project, person.public_id) for person in people}
    if fmt == "jsonl":
        lines = [json.loads(line) for line in text.splitlines()]
        assert len(lines) == 2
        first = next(line for line in lines if line["ref"] == "r0")
        assert first["label"] == "cat"
        assert {answer["pioneer"] for answer in first["answers"]} == expected
        assert all(answer["answered_at"].endswith("Z") for answer in first["answers"])
        assert "gold_accuracy_at_time" in first["answers"][0]
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 6
        assert {row["pioneer"] for row in rows} == expected
        assert {row["label"] for row in rows if row["ref"] == "r1"} == {"dog"}
        assert {row["answer"] for row in rows} <= {"cat", "dog", "bird"}
        assert "payload" not in rows[0]
        assert rows[0]["payload.text"].startswith("item ")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=xml", "format"),  # unknown export format
        ("format=csv&method=vote", "method"),  # unknown aggregation method
    ],
)
def test_bad_export_requests_are_400_and_record_nothing(
    make_project: Any, requester: Any, query: str, field: str
) -> None:
    project = make_project(items=1)
    response = client_for(requester).post(f"/api/v1/projects/{project.public_id}/export/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not DatasetExport.objects.exists()
    assert not Leaf.objects.filter(kind="dataset.export").exists()


def test_only_the_owner_exports(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=1)
    response = client_for(pioneer).post(f"/api/v1/projects/{project.public_id}/export/")
    assert response.status_code == 404
    assert not DatasetExport.objects.exists()


def test_an_export_needs_a_post_with_the_csrf_token(make_project: Any, requester: Any) -> None:
    """A GET (a link, an image on another site) writes nothing; nor does a POST without
    the session's CSRF token."""
    project = make_project(items=1)
    url = f"/api/v1/projects/{project.public_id}/export/?format=jsonl"
    signed_in = client_for(requester)
    assert signed_in.get(url).status_code == 405
    strict = APIClient(enforce_csrf_checks=True)
    strict.force_login(requester)
    refused = strict.post(url)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not DatasetExport.objects.exists()
    assert not Leaf.objects.filter(kind="dataset.export").exists()


def test_a_failed_ledger_write_leaves_no_export_row(
    make_project: Any, requester: Any, monkeypatch: Any
) -> None:
    def broken(*, kind: str, payload: dict[str, Any]) -> Any:
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(exports, "entry_record", broken)
    project = make_project(items=1)
    with pytest.raises(RuntimeError):
        export_create(project=project, actor=requester, fmt="jsonl")
    assert not DatasetExport.objects.exists()


def test_gold_accuracy_per_pioneer_is_pseudonymous(
    make_project: Any, pioneer: Any, requester: Any
) -> None:
    project = make_project(items=3, gold=2)
    project.gold_rate = 1.0
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    assignment_answer(assignment=claim.assignment, pioneer=pioneer, value="cat")
    body = client_for(requester).get(f"/api/v1/projects/{project.public_id}/results/").json()
    assert body["gold_accuracy"] == [
        {
            "pioneer": results.pioneer_pseudonym(project, pioneer.public_id),
            "gold_answers": 1,
            "gold_correct": 1,
            "accuracy": 1.0,
            "paused": False,
        }
    ]


def test_a_requester_cannot_link_a_pioneer_across_projects_or_to_the_public_log(
    make_project: Any, requester: Any, pioneer: Any
) -> None:
    """One requester, two projects, the same pioneer, who also has a public reputation
    change: each project names them one way in every export, and no name matches another
    project's or the log's."""
    for _ in range(3):
        event_record(user=pioneer, source="gold", positive=True, subject="test", weight=10)
    public = {
        json.loads(leaf.data)["payload"]["subject"]
        for leaf in Leaf.objects.filter(kind="reputation.change")
    }
    assert public == {pseudonym("pioneer", pioneer.public_id)}

    def export_names(project: Any) -> set[str]:
        response = client_for(requester).post(
            f"/api/v1/projects/{project.public_id}/export/?format=jsonl"
        )
        lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
        return {answer["pioneer"] for line in lines for answer in line["answers"]}

    names = []
    for _ in range(2):
        project = make_project(items=2, overlap=1)
        while (claim := item_claim_next(project=project, pioneer=pioneer)) is not None:
            assignment_answer(assignment=claim.assignment, pioneer=pioneer, value="cat")
        first = export_names(project)
        assert len(first) == 1  # both answers under one name
        assert export_names(project) == first  # and the same name in the next export
        names.append(first.pop())
    assert names[0] != names[1]
    assert public.isdisjoint(names)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        ("cat", "cat"),
        (["cat", "dog"], "cat; dog"),
        (4, "4"),
        (-1.5, "-1.5"),
        (True, "true"),
        ({"b": 1, "a": [1, {"x": 2}]}, '{"a":[1,{"x":2}],"b":1}'),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
    ],
)
def test_csv_cells_are_plain_values_and_never_formulas(value: Any, cell: str) -> None:
    assert export_format.plain(value) == cell


def test_csv_has_a_column_per_payload_field(make_project: Any, requester: Any, upload: Any) -> None:
    project = make_project(items=0, publish=False)
    upload(
        project,
        [
            {"payload": {"text": "a cat", "source": "cam 1"}, "ref": "a"},
            {"payload": {"text": "a dog", "lang": "en"}, "ref": "b"},
        ],
    )
    project = project_publish(project=project, actor=requester)
    response = client_for(requester).post(
        f"/api/v1/projects/{project.public_id}/export/?format=csv"
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [
        (row["ref"], row["payload.text"], row["payload.source"], row["payload.lang"])
        for row in rows
    ] == [
        ("a", "a cat", "cam 1", ""),
        ("b", "a dog", "", "en"),
    ]
