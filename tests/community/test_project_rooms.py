"""A task project's chat room: it opens when the project is published, for its requester
and the people who worked it, once, however many publications or openings race."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from community.models import Room
from community.models.chat import RoomKind
from community.services import chat
from core.errors import Conflict
from tasks.models import Project, State
from tasks.services.projects import project_create, project_move, project_pause, project_publish
from tests.community.helpers import race

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"
MIGRATION = importlib.import_module("community.migrations.0003_open_rooms_of_published_projects")


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def messages_url(slug: str) -> str:
    return f"/api/v1/rooms/{slug}/messages/"


def slugs_in_list(user: User) -> list[str]:
    return [row["slug"] for row in client_of(user).get(ROOMS).json()["results"]]


@pytest.fixture
def requester(user_factory: Any) -> User:
    return user_factory(roles=[Role.REQUESTER])


@pytest.fixture
def draft(requester: User) -> Callable[..., Project]:
    """A draft project with two items, made over the API as a requester's script would."""

    def make(title: str = "Cats or dogs") -> Project:
        api = client_of(requester)
        body = {"title": title, "kind": "single_label", "labels": ["cat", "dog"], "gold_rate": 0}
        created = api.post("/api/v1/projects/", body, format="json")
        assert created.status_code == 201, created.json()
        public_id = created.json()["id"]
        items = [{"payload": {"text": "a"}}, {"payload": {"text": "b"}}]
        uploaded = api.post(f"/api/v1/projects/{public_id}/items/", items, format="json")
        assert uploaded.status_code == 201, uploaded.json()
        return Project.objects.get(public_id=public_id)

    return make


def publish_over_api(project: Project) -> None:
    response = client_of(project.owner).post(f"/api/v1/projects/{project.public_id}/publish/")
    assert response.status_code == 200, response.json()


def answer_an_item(project: Project, worker: User) -> None:
    api = client_of(worker)
    assigned = api.post(f"/api/v1/projects/{project.public_id}/next/")
    assert assigned.status_code == 201, assigned.content
    answered = api.post(f"/api/v1/assignments/{assigned.json()['id']}/answer/", {"value": "cat"})
    assert answered.status_code == 201, answered.json()


def test_publishing_opens_the_room_for_the_requester_and_people_who_worked_it(
    draft: Callable[..., Project], requester: User, member_factory: Callable[..., User]
) -> None:
    project = draft()
    slug = f"project-{project.public_id}"
    assert not Room.objects.filter(project=project).exists()  # a draft has no room yet
    assert slug not in slugs_in_list(requester)

    publish_over_api(project)
    room = Room.objects.get(project=project)
    assert (room.slug, room.kind, room.title) == (slug, RoomKind.PROJECT, "Cats or dogs")
    assert slug in slugs_in_list(requester)
    assert client_of(requester).get(messages_url(slug)).status_code == 200

    worker, stranger = member_factory(), member_factory()
    answer_an_item(project, worker)
    assert slug in slugs_in_list(worker)
    posted = client_of(worker).post(messages_url(slug), {"body": "Item b is blurry"})
    assert posted.status_code == 201, posted.json()
    history = client_of(requester).get(messages_url(slug)).json()["results"]
    assert [message["body"] for message in history] == ["Item b is blurry"]

    # Someone who never had an item learns nothing, not even that the room exists.
    assert slug not in slugs_in_list(stranger)
    assert client_of(stranger).get(messages_url(slug)).status_code == 404
    assert client_of(stranger).post(messages_url(slug), {"body": "hi"}).status_code == 404
    assert client_of(stranger).get(f"/chat/{slug}/").status_code == 404


def test_an_unverified_requester_reads_the_room_but_does_not_post(
    draft: Callable[..., Project], requester: User
) -> None:
    project = draft()
    publish_over_api(project)
    response = client_of(requester).post(
        messages_url(f"project-{project.public_id}"), {"body": "x"}
    )
    assert response.status_code == 403
    assert "identity-verified" in response.json()["detail"]


def test_resuming_after_a_pause_keeps_the_one_room_and_its_messages(
    draft: Callable[..., Project], requester: User, member_factory: Callable[..., User]
) -> None:
    project = draft()
    publish_over_api(project)
    worker = member_factory()
    answer_an_item(project, worker)
    room = Room.objects.get(project=project)
    chat.message_post(room=room, author=worker, body="before the pause")
    project_pause(project=project, actor=requester)
    project_publish(project=project, actor=requester)
    assert list(Room.objects.filter(project=project)) == [room]
    assert room.messages.count() == 1


def test_renaming_the_project_renames_its_room_and_a_refused_rename_does_not(
    draft: Callable[..., Project], requester: User
) -> None:
    project = draft()
    publish_over_api(project)
    api = client_of(requester)
    url = f"/api/v1/projects/{project.public_id}/"
    renamed = api.patch(url, {"title": "Cats, dogs or foxes"}, format="json")
    assert renamed.status_code == 200, renamed.json()
    assert Room.objects.get(project=project).title == "Cats, dogs or foxes"
    # A change refused after publishing takes the rename in the same request back with it.
    refused = api.patch(url, {"title": "Foxes", "scale_min": 3}, format="json")
    assert refused.status_code == 400
    assert Room.objects.get(project=project).title == "Cats, dogs or foxes"


def test_a_publication_that_rolls_back_leaves_no_room(
    draft: Callable[..., Project], requester: User
) -> None:
    project = draft()
    opened_inside: list[bool] = []

    def publish_then_fail() -> None:
        with transaction.atomic():
            project_move(project=project, actor=requester, target=State.PUBLISHED)
            opened_inside.append(Room.objects.filter(project=project).exists())
            raise RuntimeError("the caller fails after publishing")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert opened_inside == [True]
    project.refresh_from_db()
    assert project.state == State.DRAFT
    assert not Room.objects.filter(project=project).exists()


def test_a_refused_publication_opens_no_room(requester: User) -> None:
    empty = project_create(owner=requester, title="Empty", kind="free_text")
    with pytest.raises(Conflict):
        project_publish(project=empty, actor=requester)
    assert not Room.objects.filter(project=empty).exists()


def published_before_rooms(draft: Callable[..., Project], title: str) -> Project:
    """A project published before publication opened rooms: published, without a room."""
    project = draft(title)
    publish_over_api(project)
    Room.objects.filter(project=project).delete()
    return project


def open_missing_rooms() -> None:
    MIGRATION.open_rooms_of_published_projects(apps, SimpleNamespace(connection=connection))


def test_the_migration_opens_rooms_of_projects_published_before_it(
    draft: Callable[..., Project], requester: User
) -> None:
    older = [published_before_rooms(draft, f"Older {n}") for n in range(3)]
    paused = published_before_rooms(draft, "Paused")
    project_pause(project=paused, actor=requester)
    never_published = draft("Still a draft")
    already = draft("Has its room")
    publish_over_api(already)
    kept = Room.objects.get(project=already)

    open_missing_rooms()
    open_missing_rooms()  # a second run finds nothing to do

    for project in [*older, paused]:
        room = Room.objects.get(project=project)
        assert (room.slug, room.kind, room.title) == (
            f"project-{project.public_id}",
            RoomKind.PROJECT,
            project.title,
        )
        assert room.slug in slugs_in_list(requester)
    assert Room.objects.get(project=already) == kept
    assert not Room.objects.filter(project=never_published).exists()
    assert Room.objects.filter(kind=RoomKind.PROJECT).count() == 5


# --- At once, on PostgreSQL: threads with their own connections ---------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_publications_at_once_open_one_room(
    postgres: None, draft: Callable[..., Project], requester: User
) -> None:
    project = draft()
    results, errors = race(
        [1, 2],
        lambda _: project_publish(project=Project.objects.get(pk=project.pk), actor=requester),
    )
    # The project's row lock orders them: the second finds it published already.
    assert len(results) == 1
    assert [type(error) for error in errors] == [Conflict]
    assert Room.objects.filter(project=project).count() == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_many_openings_at_once_give_one_room(postgres: None, draft: Callable[..., Project]) -> None:
    project = published_before_rooms(draft, "Raced")
    results, errors = race(list(range(6)), lambda _: chat.room_open_for_project(project=project))
    assert errors == []
    assert len({room.pk for room in results}) == 1
    assert Room.objects.filter(project=project).count() == 1


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def wait_until_waiting_on_a_lock(pid: int, timeout: float = 10) -> None:
    """Return once backend `pid` waits on a lock (a condition, polled with a deadline)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
        if row is not None and row[0] == "Lock":
            return
        pause.wait(0.01)
    raise AssertionError(f"backend {pid} never waited on a lock within {timeout}s")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["open", "migration"])
def test_a_second_opening_waits_for_the_first_and_finds_its_room(
    postgres: None, draft: Callable[..., Project], second: str
) -> None:
    """The first opener's room is inserted but not committed when the second asks: the
    second (a publication's receiver, or the migration) blocks on the unique index, then
    finds the room instead of failing or adding one."""
    project = published_before_rooms(draft, "Interleaved")
    first_inserted, second_started, release = (
        threading.Event(),
        threading.Event(),
        threading.Event(),
    )
    second_pid: list[int] = []
    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = chat.room_open_for_project(project=project)
                first_inserted.set()
                assert release.wait(timeout=30)
        except BaseException as error:
            outcome["first error"] = error
            first_inserted.set()
        finally:
            connection.close()

    def then() -> None:
        try:
            assert first_inserted.wait(timeout=30)
            second_pid.append(backend_pid())
            second_started.set()
            if second == "open":
                outcome["second"] = chat.room_open_for_project(project=project)
            else:
                open_missing_rooms()
        except BaseException as error:
            outcome["second error"] = error
            second_started.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=then)]
    for thread in threads:
        thread.start()
    try:
        assert first_inserted.wait(timeout=30)
        assert second_started.wait(timeout=30)
        assert "second error" not in outcome, outcome
        wait_until_waiting_on_a_lock(second_pid[0])
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not {key for key in outcome if key.endswith("error")}, outcome
    room = Room.objects.get(project=project)
    assert outcome["first"].pk == room.pk
    if second == "open":
        assert outcome["second"].pk == room.pk
