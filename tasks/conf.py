"""Task settings, each with a default (override in settings.py or the environment).

- TASKS_UPLOAD_MAX_BYTES: largest item upload body (JSON list or JSONL), in bytes.
- TASKS_ITEM_MAX_BYTES: largest single item (its JSON), in bytes.
- TASKS_UPLOAD_BATCH: rows per bulk insert while streaming an upload.
- TASKS_UPLOAD_MAX_ERRORS: how many line errors an upload reports before it stops reading.
- TASKS_WARN_BEFORE_EXPIRY: seconds before a reservation ends when its holder is warned.
- TASKS_RECLAIM_BATCH: expired reservations returned to the pool per sweep.
"""

from __future__ import annotations

from django.conf import settings


def upload_max_bytes() -> int:
    return int(getattr(settings, "TASKS_UPLOAD_MAX_BYTES", 256 * 1024 * 1024))


def item_max_bytes() -> int:
    return int(getattr(settings, "TASKS_ITEM_MAX_BYTES", 64 * 1024))


def upload_batch() -> int:
    return int(getattr(settings, "TASKS_UPLOAD_BATCH", 2000))


def upload_max_errors() -> int:
    return int(getattr(settings, "TASKS_UPLOAD_MAX_ERRORS", 50))


def warn_before_expiry() -> int:
    return int(getattr(settings, "TASKS_WARN_BEFORE_EXPIRY", 60))


def reclaim_batch() -> int:
    return int(getattr(settings, "TASKS_RECLAIM_BATCH", 500))
