"""Per-process throttles of the task feed's hot paths.

For work that is idempotent and may safely run once per process (each process keeps its
own clock), so the hot path asks no shared store.
"""

from __future__ import annotations

import math
import time
from typing import Any


class Every:
    """`due(key)` is True at most once per `seconds` per key, in this process."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[Any, float] = {}

    def due(self, key: Any) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -math.inf) < self.seconds:
            return False
        self._last[key] = now
        return True

    def reset(self) -> None:
        self._last.clear()


# Lazy reclaiming inside a claim, per project (the periodic sweep does the rest), and the
# remaining-count events, per project.
RECLAIM = Every(5)
REMAINING = Every(2)
