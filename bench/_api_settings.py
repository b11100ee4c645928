"""Settings of the server `api_load_bench.py` starts: the project's own, plus the baseline
views under /bench/v1/ (`_api_baseline.py`)."""

from pioneer_platform.settings import *  # noqa: F403

ROOT_URLCONF = "bench._api_baseline"
