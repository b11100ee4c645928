"""A publication is announced once, however often the job is delivered, and one whose job
was lost (broker down at publish, worker killed) is announced by the periodic sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tasks.models import AuditEvent
from tasks.services.notifications import project_announce, projects_announce_stuck
from tasks.services.projects import ANNOUNCED, PUBLISHED, project_pause, project_publish

pytestmark = pytest.mark.django_db

NOW = timedelta(0)  # the deadline, for a sweep that should take everything still waiting


def announcements(project: Any) -> int:
    return AuditEvent.objects.filter(project=project, action=ANNOUNCED).count()


def publish_with_the_job_lost(project: Any, capture: Any) -> None:
    with capture(execute=False) as dropped:
        project_publish(project=project, actor=project.owner)
    assert len(dropped) >= 1  # the announcement job, sent after commit, never left


def test_an_announcement_delivered_twice_tells_each_pioneer_once(
    make_project: Any, pioneers: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pioneers(3)
    project = make_project(items=1, publish=False)
    publish_with_the_job_lost(project, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert project_announce(project=project) == 3
    assert len(sent) == 3  # one socket event per pioneer, after commit
    assert project_announce(project=project) == 0  # the broker's second copy
    assert announcements(project) == 1


def test_the_sweep_announces_a_publication_whose_job_was_lost(
    make_project: Any, pioneer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = make_project(items=1, publish=False)
    publish_with_the_job_lost(project, django_capture_on_commit_callbacks)
    assert projects_announce_stuck() == 0  # published just now: not stuck yet
    with django_capture_on_commit_callbacks(execute=True):
        assert projects_announce_stuck(older_than=NOW) == 1
    assert announcements(project) == 1
    assert projects_announce_stuck(older_than=NOW) == 0


def test_each_publication_is_announced_and_old_ones_are_left_alone(
    make_project: Any, pioneer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = make_project(items=1, publish=False)
    for move in (project_publish, project_pause, project_publish):
        with django_capture_on_commit_callbacks(execute=True):
            move(project=project, actor=project.owner)
    assert announcements(project) == 2
    # A publication recorded before announcements were recorded is not news any more.
    legacy = make_project(items=1, publish=False)
    legacy.state = "published"
    legacy.save(update_fields=["state"])
    AuditEvent.objects.create(project=legacy, actor=legacy.owner, action=PUBLISHED)
    assert projects_announce_stuck(older_than=NOW) == 0
