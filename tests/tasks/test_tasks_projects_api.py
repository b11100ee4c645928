"""Requesters create, edit, publish, pause and close projects; pioneers see the feed."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from tasks.models import AuditEvent, Project, State

pytestmark = pytest.mark.django_db

VALID = {
    "title": "Is it a cat?",
    "kind": "single_label",
    "instructions": "# Look closely\n\n<script>alert(1)</script>Pick **one**.",
    "labels": ["cat", "dog"],
    "overlap": 3,
    "reward": 2,
    "reservation_timeout": 300,
}


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_requester_creates_a_draft_with_sanitized_instructions(requester: Any) -> None:
    response = client_for(requester).post("/api/v1/projects/", VALID, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft"
    assert "<h1>Look closely</h1>" in body["instructions_html"]
    assert "<strong>one</strong>" in body["instructions_html"]
    assert "<script>" not in body["instructions_html"]
    project = Project.objects.get(public_id=body["id"])
    assert project.owner == requester
    assert AuditEvent.objects.filter(project=project, action="project.created").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"overlap": -1}, "overlap"),  # a negative overlap
        ({"overlap": 0}, "overlap"),  # nobody would answer
        ({"labels": ["cat"]}, "labels"),  # a label project needs two labels
        ({"labels": ["cat", "cat"]}, "labels"),  # duplicate labels
        ({"labels": ["cat", ""]}, "labels"),  # an empty label
        ({"kind": "essay"}, "kind"),  # unknown kind
        ({"title": ""}, "title"),  # no title
        ({"reservation_timeout": 5}, "reservation_timeout"),  # too short to work an item
        ({"gold_rate": 0.9}, "gold_rate"),  # more gold than work
        ({"reward": -3}, "reward"),  # negative reward
        ({"overlap": "three"}, "overlap"),  # not a number
    ],
)
def test_bad_project_input_is_a_400_naming_the_field(
    requester: Any, change: dict[str, Any], field: str
) -> None:
    response = client_for(requester).post("/api/v1/projects/", {**VALID, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Project.objects.exists()


def test_rating_scale_must_go_upwards(requester: Any) -> None:
    data = {"title": "Rate", "kind": "rating", "scale_min": 5, "scale_max": 1}
    response = client_for(requester).post("/api/v1/projects/", data, format="json")
    assert response.status_code == 400
    assert "scale_max" in response.json()["errors"]


def test_pioneer_cannot_create_projects(pioneer: Any) -> None:
    response = client_for(pioneer).post("/api/v1/projects/", VALID, format="json")
    assert response.status_code == 403


def test_publish_pause_close_and_illegal_transitions(make_project: Any, requester: Any) -> None:
    project = make_project(publish=False)
    api = client_for(requester)
    base = f"/api/v1/projects/{project.public_id}"
    assert api.post(f"{base}/pause/").status_code == 409  # a draft cannot be paused
    assert api.post(f"{base}/publish/").json()["state"] == "published"
    assert api.post(f"{base}/publish/").status_code == 409  # already published
    assert api.post(f"{base}/pause/").json()["state"] == "paused"
    assert api.post(f"{base}/publish/").json()["state"] == "published"
    assert api.post(f"{base}/close/").json()["state"] == "closed"
    assert api.post(f"{base}/publish/").status_code == 409  # closed is final
    actions = list(AuditEvent.objects.filter(project=project).values_list("action", flat=True))
    assert "project.closed" in actions


def test_publishing_needs_items(make_project: Any, requester: Any) -> None:
    project = make_project(items=0, publish=False)
    response = client_for(requester).post(f"/api/v1/projects/{project.public_id}/publish/")
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"labels": ["cat", "dog"]}, "labels"),  # removing "bird" breaks answers given
        ({"labels": ["kitty", "dog", "bird"]}, "labels"),  # renaming breaks them too
        ({"kind": "rating"}, "kind"),  # the kind never changes
        ({"overlap": 1}, "overlap"),  # overlap may only grow
        ({"scale_max": 10}, "scale_max"),  # the scale is fixed once published
    ],
)
def test_edits_that_break_answers_after_publishing_are_refused(
    make_project: Any, requester: Any, change: dict[str, Any], field: str
) -> None:
    project = make_project()
    response = client_for(requester).patch(
        f"/api/v1/projects/{project.public_id}/", change, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    project.refresh_from_db()
    assert project.labels == ["cat", "dog", "bird"]
    assert project.overlap == 3


def test_safe_edits_after_publishing_apply(make_project: Any, requester: Any) -> None:
    project = make_project(items=2)
    response = client_for(requester).patch(
        f"/api/v1/projects/{project.public_id}/",
        {"labels": ["cat", "dog", "bird", "fish"], "overlap": 5, "title": "Animals 2"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["labels"] == ["cat", "dog", "bird", "fish"]
    assert response.json()["remaining_answers"] == 10  # both items now take five answers


def test_someone_elses_project_is_a_404(make_project: Any, user_factory: Any) -> None:
    project = make_project()
    other = user_factory(roles=[Role.REQUESTER])
    api = client_for(other)
    assert api.patch(f"/api/v1/projects/{project.public_id}/", {"title": "x"}).status_code == 404
    assert api.post(f"/api/v1/projects/{project.public_id}/close/").status_code == 404
    assert api.get(f"/api/v1/projects/{project.public_id}/results/").status_code == 404
    assert api.get("/api/v1/projects/not-a-uuid/results/").status_code == 404


def test_feed_shows_published_projects_the_pioneer_may_work(
    make_project: Any, pioneer: Any
) -> None:
    visible = make_project(items=2, reward=5)
    make_project(publish=False)  # a draft
    make_project(min_level=3)  # above a newcomer's level
    response = client_for(pioneer).get("/api/v1/projects/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [str(visible.public_id)]
    assert rows[0]["remaining_items"] == 2
    assert rows[0]["remaining_answers"] == 6
    assert rows[0]["reward"] == 5
    assert "gold_rate" not in rows[0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"verified": False},  # identity not verified
        {"roles": []},  # not a pioneer
    ],
)
def test_feed_and_next_refuse_people_who_may_not_work(
    make_project: Any, user_factory: Any, kwargs: dict[str, Any]
) -> None:
    project = make_project()
    person = user_factory(**kwargs)
    api = client_for(person)
    assert api.get("/api/v1/projects/").status_code == 403
    assert api.post(f"/api/v1/projects/{project.public_id}/next/").status_code == 403


def test_below_the_project_level_is_a_403(make_project: Any, pioneer: Any) -> None:
    project = make_project(min_level=2)
    response = client_for(pioneer).post(f"/api/v1/projects/{project.public_id}/next/")
    assert response.status_code == 403
    assert "level 2" in response.json()["detail"]


def test_unverified_email_is_refused(make_project: Any, user_factory: Any) -> None:
    person = user_factory(email_verified=False, verified=True)
    assert client_for(person).get("/api/v1/projects/").status_code == 403


def _feed_queries(
    count: int, make_project: Any, pioneer: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(count):
        make_project(items=2)
    api = client_for(pioneer)
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/projects/")
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 20])
def test_feed_query_count_does_not_grow(
    count: int, make_project: Any, pioneer: Any, django_assert_max_num_queries: Any
) -> None:
    _feed_queries(count, make_project, pioneer, django_assert_max_num_queries)


@pytest.mark.parametrize("count", [1, 20])
def test_own_projects_query_count_does_not_grow(
    count: int, make_project: Any, requester: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(count):
        make_project(publish=False)
    api = client_for(requester)
    with django_assert_max_num_queries(10):
        response = api.get("/api/v1/projects/?mine=1")
    assert len(response.json()["results"]) == count
    assert all(row["state"] == State.DRAFT for row in response.json()["results"])


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ("![map](https://tracker.example/pixel.png)", None),  # a remote image in Markdown
        ('<img src="http://tracker.example/p.gif" alt="x">', None),  # a remote image in HTML
        ('<img src="//tracker.example/p.gif">', None),  # scheme-relative
        ('<img src="/\\tracker.example/p.gif">', None),  # a backslash browsers read as a slash
        ('<img src="/&#9;/tracker.example/p.gif">', None),  # a tab browsers drop
        ('<img src=" https://tracker.example/p.gif">', None),  # leading space browsers trim
        ('<img src="data:image/svg+xml,<svg/>">', None),  # not a URL of ours either
        ("![logo](/static/logo.png)", "/static/logo.png"),  # our own path stays
        ("![logo](http://127.0.0.1:8000/static/logo.png)", "http://127.0.0.1:8000/static/logo.png"),
    ],
)
def test_instructions_keep_only_images_from_our_origin(
    settings: Any, markdown: str, kept: str | None
) -> None:
    from tasks.instructions import render_instructions

    settings.SITE_URL = "http://127.0.0.1:8000"
    html = render_instructions(markdown)
    assert "tracker.example" not in html
    assert "data:" not in html
    if kept is None:
        assert "src=" not in html
    else:
        assert f'src="{kept}"' in html


def test_a_remote_image_never_reaches_pioneers_through_the_api(requester: Any) -> None:
    payload = {**VALID, "instructions": "Like this: ![example](https://tracker.example/p.png)"}
    response = client_for(requester).post("/api/v1/projects/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert "tracker.example" not in response.json()["instructions_html"]
    assert 'alt="example"' in response.json()["instructions_html"]
