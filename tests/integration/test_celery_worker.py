"""A real Celery worker on Redis runs our tasks against the real database."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ledger import services
from ledger.models import TreeHead
from ledger.tasks import publish_tree_head
from pioneer_platform.celery import app
from tests.integration.helpers import ROOT, database_url
from tests.ledger.helpers import export_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_publishes_a_tree_head(redis_url: str, postgres: None) -> None:
    services.entry_record(kind="dataset.export", payload=export_payload(1))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    queue = f"integration-{os.getpid()}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pioneer_platform",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert app.conf.task_always_eager is False
        publish_tree_head.apply_async(queue=queue)
        # The worker is another process: wait for its write, with a deadline.
        deadline = time.monotonic() + 60
        while not TreeHead.objects.exists():
            assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker did not publish a head within 60 s"
            time.sleep(0.2)
        assert TreeHead.objects.get().tree_size == 2  # the export plus the key's introduction
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_periodic_tasks_are_scheduled() -> None:
    app.loader.import_default_modules()
    app.finalize()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    # Every scheduled name is a registered task: a typo would only show in beat's log.
    assert scheduled <= set(app.tasks)
    assert {
        "ledger.tasks.publish_tree_head",
        "tasks.tasks.sweep_reservations",
        "kyc.tasks.purge_documents",
        "kyc.tasks.requeue_stuck_checks",
        "tasks.tasks.announce_stuck_projects",
    } <= scheduled
