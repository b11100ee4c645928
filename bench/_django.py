"""Shared set-up for benchmarks: Django on a throwaway test database.

Benchmarks never touch the configured database's data: they create `test_<name>` the
way the test runner does and drop it at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pioneer_platform.settings")
    # Measure the code as production runs it: with DEBUG on, Django also formats and keeps
    # every query it sends.
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()


@contextmanager
def throwaway_database(*, require_postgres: bool = True) -> Iterator[None]:
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    if require_postgres and connection.vendor != "postgresql":
        raise SystemExit("this benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)
