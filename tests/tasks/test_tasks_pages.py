"""Server-rendered pages: feed, work page (htmx and plain), requester editor, results."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tasks.models import Answer, Project, State
from tasks.services.feed import assignment_answer, item_claim_next

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def browser_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("count", [1, 20])
def test_feed_page_lists_projects_in_fixed_queries(
    count: int, make_project: Any, pioneer: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(count):
        make_project(items=2, reward=7)
    client = browser_for(pioneer)
    with django_assert_max_num_queries(12):
        response = client.get("/tasks/")
    assert response.status_code == 200
    assert response.content.decode().count("Start working") == count


def test_feed_card_is_the_feed_pages_card_and_only_for_projects_in_the_feed(
    make_project: Any, pioneer: Any, user_factory: Any
) -> None:
    project = make_project(items=1, reward=1)
    client = browser_for(pioneer)
    card = client.get(f"/tasks/{project.public_id}/card/")
    assert card.status_code == 200
    text = card.content.decode()
    assert text.strip() in client.get("/tasks/").content.decode()
    assert "1 point per answer" in text
    assert "1 item" in text
    assert "Start working" in text
    draft = make_project(publish=False)
    assert client.get(f"/tasks/{draft.public_id}/card/").status_code == 404
    unverified = browser_for(user_factory(verified=False))
    assert unverified.get(f"/tasks/{project.public_id}/card/").status_code == 403


def test_a_finished_project_offers_no_work(make_project: Any, pioneer: Any, pioneers: Any) -> None:
    project = make_project(items=1, overlap=1)
    worker = pioneers(1)[0]
    claim = item_claim_next(project=project, pioneer=worker)
    assert claim is not None
    text = browser_for(pioneer).get("/tasks/").content.decode()
    assert "nothing left to do here" in text
    assert 'data-start="' + str(project.public_id) + '" hidden' in text


def test_feed_page_explains_a_refusal(make_project: Any, user_factory: Any) -> None:
    make_project()
    response = browser_for(user_factory(verified=False)).get("/tasks/")
    assert response.status_code == 200
    assert "Verify your identity" in response.content.decode()


def test_work_page_answers_and_loads_the_next_item_at_once(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=2, overlap=1)
    client = browser_for(pioneer)
    page = client.get(f"/tasks/{project.public_id}/work/")
    assert page.status_code == 200
    assert "Instructions" in page.content.decode()

    fragment = client.post(f"/tasks/{project.public_id}/work/next/", **HTMX)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html  # a fragment for htmx to swap in
    assert 'data-key="1"' in html
    first = item_claim_next(project=project, pioneer=pioneer)
    assert first is not None
    assert not first.created

    after = client.post(
        f"/tasks/assignments/{first.assignment.public_id}/answer/", {"value": "dog"}, **HTMX
    )
    assert after.status_code == 200
    assert "Answer saved." in after.content.decode()
    assert Answer.objects.get().value == "dog"
    second = item_claim_next(project=project, pioneer=pioneer)
    assert second is not None
    assert second.assignment.item_id != first.assignment.item_id
    assert f"/tasks/assignments/{second.assignment.public_id}/answer/" in after.content.decode()


def test_work_page_shows_invalid_answer_and_keeps_the_item(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=1)
    client = browser_for(pioneer)
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    response = client.post(
        f"/tasks/assignments/{claim.assignment.public_id}/answer/", {"value": "horse"}, **HTMX
    )
    assert response.status_code == 400
    assert "Choose one of" in response.content.decode()
    assert not Answer.objects.exists()


def test_skip_without_javascript_gives_a_full_page(make_project: Any, pioneer: Any) -> None:
    project = make_project(items=1, overlap=1)
    client = browser_for(pioneer)
    claim = item_claim_next(project=project, pioneer=pioneer)
    assert claim is not None
    response = client.post(f"/tasks/assignments/{claim.assignment.public_id}/skip/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "No more items for you here" in html


def test_someone_elses_assignment_page_is_404(make_project: Any, pioneers: Any) -> None:
    project = make_project(items=1)
    owner, other = pioneers(2)
    claim = item_claim_next(project=project, pioneer=owner)
    assert claim is not None
    response = browser_for(other).post(
        f"/tasks/assignments/{claim.assignment.public_id}/answer/", {"value": "cat"}
    )
    assert response.status_code == 404


def test_requester_creates_edits_and_publishes_from_pages(requester: Any, upload: Any) -> None:
    client = browser_for(requester)
    response = client.post(
        "/requester/projects/new/",
        {
            "title": "Cats",
            "kind": "single_label",
            "instructions": "Pick *one*",
            "labels": "cat\ndog\n",
            "overlap": 2,
            "reward": 3,
            "reservation_timeout": 600,
            "min_level": 1,
            "gold_rate": 0.1,
            "gold_min_accuracy": 0.7,
            "gold_min_answers": 3,
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert project.labels == ["cat", "dog"]
    page = client.get(f"/requester/projects/{project.public_id}/")
    assert page.status_code == 200
    assert "<em>one</em>" in page.content.decode()

    refused = client.post(f"/requester/projects/{project.public_id}/publish/", follow=True)
    assert "Upload at least one item" in refused.content.decode()
    upload(project, [{"payload": {"text": "a"}}])
    client.post(f"/requester/projects/{project.public_id}/publish/")
    project.refresh_from_db()
    assert project.state == State.PUBLISHED


def test_project_form_shows_field_errors(requester: Any) -> None:
    response = browser_for(requester).post(
        "/requester/projects/new/",
        {
            "title": "Cats",
            "kind": "single_label",
            "labels": "cat",
            "overlap": -1,
            "reward": 1,
            "reservation_timeout": 600,
            "min_level": 1,
            "gold_rate": 0.1,
            "gold_min_accuracy": 0.7,
            "gold_min_answers": 3,
        },
    )
    assert response.status_code == 400
    assert not Project.objects.exists()


def test_pioneer_cannot_open_requester_pages(make_project: Any, pioneer: Any) -> None:
    project = make_project()
    client = browser_for(pioneer)
    assert client.get("/requester/projects/new/").status_code == 404
    assert client.get(f"/requester/projects/{project.public_id}/").status_code == 404
    assert client.get(f"/requester/projects/{project.public_id}/results/").status_code == 404


@pytest.mark.parametrize("count", [1, 20])
def test_results_page_in_fixed_queries(
    count: int,
    make_project: Any,
    pioneers: Any,
    requester: Any,
    django_assert_max_num_queries: Any,
) -> None:
    project = make_project(items=count, overlap=2)
    for person in pioneers(2):
        while (claim := item_claim_next(project=project, pioneer=person)) is not None:
            assignment_answer(assignment=claim.assignment, pioneer=person, value="dog")
    client = browser_for(requester)
    with django_assert_max_num_queries(16):
        response = client.get(f"/requester/projects/{project.public_id}/results/?method=majority")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<td>dog</td>") == count
    assert "<svg" in html
    assert "Export JSONL" in html


def test_requester_list_in_fixed_queries(
    make_project: Any, requester: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        make_project(publish=False)
    client = browser_for(requester)
    with django_assert_max_num_queries(10):
        response = client.get("/requester/projects/")
    assert response.content.decode().count("Results</a>") == 5


@pytest.mark.parametrize("count", [2, 30])
def test_project_page_lists_items_with_their_state_in_fixed_queries(
    count: int,
    make_project: Any,
    pioneers: Any,
    requester: Any,
    django_assert_max_num_queries: Any,
) -> None:
    # A gold item that is never handed out (rate 0), so the claims below take plain items.
    project = make_project(items=count, gold=1, overlap=1, gold_rate=0.0)
    first, second = pioneers(2)
    answered = item_claim_next(project=project, pioneer=first)
    assert answered is not None
    assignment_answer(assignment=answered.assignment, pioneer=first, value="dog")
    held = item_claim_next(project=project, pioneer=second)
    assert held is not None
    client = browser_for(requester)
    with django_assert_max_num_queries(14):
        response = client.get(f"/requester/projects/{project.public_id}/")
    html = response.content.decode()
    states = [
        line.split("<td>")[3].split("</td>")[0]
        for line in html.splitlines()
        if line.strip().startswith('<tr data-item="')
    ]
    assert sorted(states) == sorted(["complete", "being answered", "gold"] + ["open"] * (count - 2))
    assert "1 of 1" in html


def test_closing_a_project_asks_first(make_project: Any, requester: Any) -> None:
    project = make_project(items=2)
    client = browser_for(requester)
    page = client.get(f"/requester/projects/{project.public_id}/")
    assert f'href="/requester/projects/{project.public_id}/close/confirm/"' in page.content.decode()
    confirm = client.get(f"/requester/projects/{project.public_id}/close/confirm/")
    assert confirm.status_code == 200
    assert "Closing is final" in confirm.content.decode()
    project.refresh_from_db()
    assert project.state == State.PUBLISHED
    client.post(f"/requester/projects/{project.public_id}/close/")
    project.refresh_from_db()
    assert project.state == State.CLOSED


def test_nobody_else_sees_a_projects_samples_or_close_page(
    make_project: Any, pioneer: Any, user_factory: Any
) -> None:
    from accounts.roles import Role

    project = make_project(items=1)
    for person in (pioneer, user_factory(roles=[Role.REQUESTER])):
        client = browser_for(person)
        for path in ("close/confirm/", "sample.csv", "sample.jsonl"):
            assert client.get(f"/requester/projects/{project.public_id}/{path}").status_code == 404


def test_the_project_form_sends_the_service_only_its_kinds_fields() -> None:
    from tasks.forms import ProjectForm

    values = {
        "title": "Cats", "kind": "single_label", "labels": "cat\ndog", "scale_min": "2",
        "scale_max": "4", "text_max_length": "50", "overlap": "3", "reward": "1",
        "reservation_timeout": "600", "min_level": "1", "gold_rate": "0",
        "gold_min_accuracy": "0.7", "gold_min_answers": "3",
    }  # fmt: skip
    form = ProjectForm(values)
    assert form.is_valid(), form.errors
    fields = form.service_fields(editing=False)
    assert fields["labels"] == ["cat", "dog"]
    assert not {"scale_min", "scale_max", "text_max_length"} & set(fields)
    rating = ProjectForm({**values, "kind": "rating"})
    assert rating.is_valid(), rating.errors
    assert {"scale_min": 2, "scale_max": 4}.items() <= rating.service_fields(editing=False).items()
    assert "labels" not in rating.service_fields(editing=False)
    assert 'data-kinds="rating"' in str(form["scale_min"])


def test_the_requester_and_workers_find_the_projects_chat_room_and_strangers_do_not(
    make_project: Any, requester: Any, pioneers: Any
) -> None:
    project = make_project(items=2)
    room_link = f'href="/chat/project-{project.public_id}/"'
    worker, stranger = pioneers(2)
    claim = item_claim_next(project=project, pioneer=worker)
    assert claim is not None

    owner_page = browser_for(requester).get(f"/requester/projects/{project.public_id}/")
    assert room_link in owner_page.content.decode()
    work_url = f"/tasks/{project.public_id}/work/"
    assert room_link in browser_for(worker).get(work_url).content.decode()
    # A pioneer who may work the project but never had an item reads no room.
    stranger_page = browser_for(stranger).get(work_url)
    assert stranger_page.status_code == 200
    assert room_link not in stranger_page.content.decode()
    assert 'data-testid="chat-room-link"' not in stranger_page.content.decode()


def test_a_draft_has_no_room_to_link(make_project: Any, requester: Any) -> None:
    project = make_project(items=1, publish=False)
    html = browser_for(requester).get(f"/requester/projects/{project.public_id}/").content
    assert b'data-testid="chat-room-link"' not in html
