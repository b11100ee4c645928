"""Enqueue Celery jobs by name, after the transaction commits.

Services never import their app's `tasks` module: tasks import services, and services name
the job they want run (Zulip's `queue_event_on_commit`). A job sent after a rolled-back
change would act on a state that never existed, so the send waits for the commit. A broker
that is down at that moment must not turn a committed change into an error page: the send
is logged and the periodic sweep of the owning app re-enqueues the work it finds stuck.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Task
from django.db import transaction

from pioneer_platform.celery import app

logger = logging.getLogger(__name__)
# Django apps' tasks modules are discovered lazily, on the first request for one; request
# threads enqueueing at once would otherwise race that discovery and see a half-filled
# registry ("never registered").
_discovery = threading.Lock()


def _task(name: str) -> Task:  # type: ignore[type-arg]
    try:
        return app.tasks[name]
    except KeyError:
        with _discovery:
            if name not in app.tasks:
                app.loader.import_default_modules()
        return app.tasks[name]


def enqueue(name: str, *args: Any, countdown: float | None = None) -> bool:
    """Send job `name` now; False (logged) when the broker refused it."""
    task = _task(name)
    try:
        if countdown is None:
            task.apply_async(args)
        else:
            task.apply_async(args, countdown=countdown)
    except Exception:
        if app.conf.task_always_eager:
            raise
        logger.exception("job %s could not be enqueued; its sweep will retry", name)
        return False
    return True


def enqueue_on_commit(name: str, *args: Any, countdown: float | None = None) -> None:
    """Send job `name` with `args` (ids, never objects) once the current transaction commits."""
    _task(name)  # an unknown name is a bug in the caller: fail now, not after the commit
    transaction.on_commit(lambda: enqueue(name, *args, countdown=countdown))
