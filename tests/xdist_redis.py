"""Under `pytest -n` (pytest-xdist) each worker gets a Redis database of its own, as
pytest-django gives it a test database of its own: the cache, rate limits, Celery queues
and channel groups of two workers must not meet.

A plugin, not a conftest: it must change `REDIS_URL` before pytest-django imports the
settings, and conftests load after that. `make test` loads it (`-p tests.xdist_redis`,
beside `-n`; the repository root must be on the path, as `python -m pytest` puts it).
Servers and workers a test starts inherit the changed environment, so they share the
worker's database.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_DATABASES = 16  # Redis's default `databases`


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL", "")
    if not (worker.startswith("gw") and url):
        return
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    if database >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"REDIS_URL's database plus {worker}'s number is past the last Redis database; "
            "start from a lower database or use fewer workers"
        )
    os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{database}"))
