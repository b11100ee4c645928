"""Reading the platform's public API for the auditing tools (standard library only).

The public endpoints are rate limited like every other: a long download (every event, every
entry of a big log) meets a 429 before it ends. The server says when to come back
(`Retry-After`), so the tools wait that long and go on, instead of stopping half-way.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

# How often one request is sent again after a 429, and the longest wait the tools accept.
RETRIES_AFTER_LIMIT = 20
LONGEST_WAIT_SECONDS = 120.0


class FetchError(Exception):
    """The server could not be read (unreachable, an error status, not JSON)."""


def _seconds(retry_after: str | None) -> float:
    try:
        seconds = float(retry_after) if retry_after is not None else 5.0
    except ValueError:  # an HTTP date, which this API does not send
        seconds = 5.0
    return min(max(seconds, 0.5), LONGEST_WAIT_SECONDS)


def get_json(url: str, *, timeout: float = 60.0) -> Any:
    """The JSON at `url`, waiting out rate limits; FetchError saying what went wrong."""
    for attempt in range(RETRIES_AFTER_LIMIT + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the auditor picks the URL
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 429 and attempt < RETRIES_AFTER_LIMIT:
                wait = _seconds(error.headers.get("Retry-After"))
                print(f"      rate limited; waiting {wait:.0f}s as the server asks", flush=True)
                time.sleep(wait)
                continue
            raise FetchError(f"{url}: HTTP {error.code} {error.reason}") from error
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise FetchError(f"{url}: {error}") from error
    raise AssertionError("unreachable")
