"""Queued work survives a killed worker and a broker that was down, with real processes:
a Celery worker is SIGKILLed holding KYC checks, or the broker is unreachable when a case
is submitted and a project published. A new worker (with beat) finishes every case within
a minute, and nothing runs twice, even when both the broker (after its visibility timeout)
and the sweep deliver the same job."""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from kyc.models import Case, CaseEvent, CheckResult, State
from kyc.services import cases as kyc_cases
from kyc.services import documents as kyc_documents
from tasks.models import AuditEvent, Project
from tasks.services.items import items_upload
from tasks.services.projects import ANNOUNCED, project_create
from tests.integration.helpers import ROOT, connection_counter, database_url, free_port, wait_until
from tests.kyc.conftest import photo, td3_mrz

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Timings shortened for the test; production runs the same code with the defaults.
SWEEP = {"JOBS_SWEEP_SECONDS": "1", "JOBS_DEADLINE_SECONDS": "2"}
VISIBILITY_TIMEOUT = 12
CASES = 6
PREFETCH = 3  # what the killed worker holds: one job running, two waiting in its buffer


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def draft_case(user_factory: Any, n: int) -> tuple[Case, User]:
    """A passport case with its documents, ready to submit; a document number per person."""
    person = user_factory()
    today = timezone.now().date()
    birth, expiry = datetime.date(1990, 5, 17), today.replace(year=today.year + 5)
    number = f"AK{n:07d}"
    case = kyc_cases.case_create(
        user=person,
        document_type="passport",
        surname="Wanjiku",
        given_names="Amina",
        birth_date=birth,
        nationality="KEN",
        issuing_state="KEN",
        document_number=number,
        expiry_date=expiry,
        mrz=td3_mrz(surname="Wanjiku", given="Amina", number=number, birth=birth, expiry=expiry),
    )
    for kind in ("id_front", "selfie"):
        kyc_documents.document_upload(case=case, user=person, kind=kind, upload=io.BytesIO(photo()))
    return case, person


def events(case_ids: list[int], action: str) -> dict[int, int]:
    counts = dict.fromkeys(case_ids, 0)
    for case_id in CaseEvent.objects.filter(case_id__in=case_ids, action=action).values_list(
        "case_id", flat=True
    ):
        counts[case_id] += 1
    return counts


def check_results(case_ids: list[int]) -> list[tuple[int, str, bool]]:
    return sorted(
        CheckResult.objects.filter(case_id__in=case_ids).values_list("case_id", "name", "passed")
    )


def checked(case_ids: list[int]) -> bool:
    return not Case.objects.filter(
        pk__in=case_ids, state__in=[State.SUBMITTED, State.CHECKING]
    ).exists()


def held_messages(broker: redis.Redis, queue: str) -> dict[str, float]:
    """Messages delivered from `queue` and not acknowledged: delivery tag -> delivery time."""
    held = {}
    for tag, entry in broker.hgetall("unacked").items():
        if json.loads(entry)[2] == queue:
            held[tag.decode()] = broker.zscore("unacked_index", tag) or 0.0
    return held


def test_checks_held_by_a_killed_worker_finish_once_under_a_new_one(
    user_factory: Any, celery_queue: str, celery_worker: Any, redis_url: str, tmp_path: Path
) -> None:
    broker = redis.Redis.from_url(redis_url)
    drafts = [draft_case(user_factory, n) for n in range(CASES)]
    for case, person in drafts:
        kyc_cases.case_submit(case=case, user=person)
    case_ids = [case.pk for case, _ in drafts]
    assert broker.llen(celery_queue) == CASES
    settings = {**SWEEP, "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}

    # The first worker takes jobs while the test holds the cases' rows: it is mid-task,
    # with more jobs in its buffer, when it is killed.
    with (
        psycopg.connect(database_url()) as blocker,
        connection_counter("worker-a") as worker_a_connections,
    ):
        blocker.execute("SELECT id FROM kyc_case WHERE id = ANY(%s) FOR UPDATE", [case_ids])
        first = celery_worker("worker-a", "--prefetch-multiplier", str(PREFETCH), **settings)
        wait_until(
            lambda: (
                worker_a_connections(waiting_for_lock=True) == 1
                and len(held_messages(broker, celery_queue)) == PREFETCH
            ),
            seconds=60,
            message=lambda: f"the first worker did not take its jobs:\n{first.output()}",
        )
        first.stop(signal.SIGKILL)
        blocker.rollback()
        wait_until(
            lambda: worker_a_connections() == 0,
            seconds=30,
            message="the killed worker's database session did not end",
        )
    stranded = held_messages(broker, celery_queue)
    assert len(stranded) == PREFETCH
    assert broker.llen(celery_queue) == CASES - PREFETCH
    assert not checked(case_ids)

    # A new worker, with beat: the jobs still queued run, and the sweep sends the
    # stranded cases' checks again (the broker keeps their messages until the timeout).
    started = time.monotonic()
    second = celery_worker(
        "worker-b", "--beat", "--schedule", str(tmp_path / "beat-schedule"), **settings
    )
    wait_until(
        lambda: checked(case_ids),
        seconds=60,
        message=lambda: f"the cases were not checked within a minute:\n{second.output()}",
    )
    recovered_in = time.monotonic() - started
    # The dead worker's messages still wait at the broker: the sweep did this.
    assert stranded.keys() <= held_messages(broker, celery_queue).keys()
    assert sum(events(case_ids, "requeue_checks").values()) >= PREFETCH
    results = check_results(case_ids)
    second.stop()

    # Past the visibility timeout, a worker starting up takes back the dead one's messages:
    # each case's checks arrive a second time and must not run again.
    wait_until(
        lambda: all(time.time() - at > VISIBILITY_TIMEOUT for at in stranded.values()),
        seconds=VISIBILITY_TIMEOUT + 5,
        message="the stranded messages did not age",
    )
    third = celery_worker("worker-c", **settings)
    wait_until(
        lambda: not held_messages(broker, celery_queue) and broker.llen(celery_queue) == 0,
        seconds=60,
        message=lambda: f"the stranded messages were not delivered again:\n{third.output()}",
    )
    redelivered = re.findall(r"Task kyc\.tasks\.run_checks\[[^]]+\] received", third.output())
    assert len(redelivered) >= PREFETCH
    print(f"checked {CASES} cases {recovered_in:.1f} s after the new worker started")
    assert events(case_ids, "start_checks") == dict.fromkeys(case_ids, 1)
    assert events(case_ids, "finish_checks") == dict.fromkeys(case_ids, 1)
    assert check_results(case_ids) == results


SUBMIT_AND_PUBLISH = """
from accounts.models import User
from kyc.models import Case
from kyc.services.cases import case_submit
from tasks.models import Project
from tasks.services.projects import project_publish

case_submit(case=Case.objects.get(pk={case_id}), user=User.objects.get(pk={user_id}))
project = Project.objects.get(pk={project_id})
project_publish(project=project, actor=project.owner)
"""


def test_work_sent_while_the_broker_was_down_is_done_by_the_sweep(
    user_factory: Any, celery_queue: str, celery_worker: Any, redis_url: str, tmp_path: Path
) -> None:
    case, person = draft_case(user_factory, 0)
    user_factory(roles=[Role.PIONEER], verified=True)
    requester = user_factory(roles=[Role.REQUESTER])
    project = project_create(
        owner=requester, title="Animals", kind="single_label", labels=["cat", "dog"]
    )
    items_upload(
        project=project,
        actor=requester,
        stream=io.BytesIO(b'{"payload": {"text": "a"}}\n'),
        fmt="jsonl",
    )
    # A web process whose broker is unreachable: the changes commit, the jobs are lost.
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    script = SUBMIT_AND_PUBLISH.format(case_id=case.pk, user_id=person.pk, project_id=project.pk)
    web = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": dead_broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": celery_queue,
        },
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert web.returncode == 0, web.stderr.decode()[-3000:]
    assert web.stderr.decode().count("could not be enqueued") == 2
    case.refresh_from_db()
    assert case.state == State.SUBMITTED

    started = time.monotonic()
    worker = celery_worker(
        "worker", "--beat", "--schedule", str(tmp_path / "beat-schedule"), **SWEEP
    )
    wait_until(
        lambda: (
            checked([case.pk])
            and AuditEvent.objects.filter(project=project, action=ANNOUNCED).exists()
        ),
        seconds=60,
        message=lambda: (
            f"the sweep did not recover the lost jobs within a minute:\n{worker.output()}"
        ),
    )
    print(f"recovered {time.monotonic() - started:.1f} s after the worker started")
    assert events([case.pk], "start_checks") == {case.pk: 1}
    assert AuditEvent.objects.filter(project=project, action=ANNOUNCED).count() == 1
    assert Project.objects.get(pk=project.pk).state == "published"
