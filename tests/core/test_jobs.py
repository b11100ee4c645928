"""Enqueueing by name: the registry is complete for every thread, however many ask first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import jobs

ROOT = Path(__file__).resolve().parents[2]

# A fresh process has discovered no jobs yet: its first requests race to discover them.
RACE = """
import threading
import django
django.setup()
from core import jobs
names = ["community.tasks.expire_offers", "kyc.tasks.run_checks", "tasks.tasks.announce_project"]
start = threading.Barrier(12)
errors = []
def ask(name):
    start.wait()
    try:
        jobs._task(name)
    except Exception as error:
        errors.append(repr(error))
threads = [threading.Thread(target=ask, args=(names[n % 3],)) for n in range(12)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors)
"""


def test_threads_that_enqueue_first_all_find_their_job() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pioneer_platform.settings"}
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", RACE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_unknown_job_fails_in_the_callers_stack() -> None:
    with pytest.raises(KeyError):
        jobs.enqueue_on_commit("community.tasks.no_such_job")
