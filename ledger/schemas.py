"""What each kind of leaf may say. Public facts only: people appear as keyed pseudonyms.

- kyc.decision: case (pseudonym), outcome (approved, rejected, resubmission_requested),
  reason_codes (list of codes), decided_at (UTC time)
- reputation.change: subject (pseudonym), source (code), delta (number), score (number),
  level (int >= 0), at (UTC time)
- reputation.batch: first and last (event ids, int >= 0), count (int >= 0), root (64 hex:
  the RFC 6962 Merkle root of the events' canonical JSON, as the public feed serves them,
  in id order), at (UTC time)
- dataset.export: project (UUID), format (jsonl, csv), sha256 (64 hex), items (int >= 0),
  answers (int >= 0), exported_at (UTC time)
- community.moderation: action (mute, ban), subject (pseudonym), room (a room's slug, or
  null for a mute in every room), until (UTC time, or null for a ban), at (UTC time)
- ledger.key_rotation: key_id (16 hex), public_key (64 hex, raw Ed25519 key),
  previous_key_id (16 hex or null), at (UTC time)

A UTC time is ISO 8601 with seconds and a Z, e.g. 2026-11-23T08:00:00Z. A pseudonym is the
64-hex HMAC from `ledger.pseudonyms.pseudonym`. A code is lower-case snake_case.
`validate(kind, payload)` raises ValueError naming the first wrong field.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Check = Callable[[Any], bool]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_CODE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _utc(value: Any) -> bool:
    return isinstance(value, str) and _utc_text(value)


# Batches and busy moments repeat the same few times and projects; parsing each once
# matters on a batch of thousands of appends.
@functools.lru_cache(maxsize=4096)
def _utc_text(value: str) -> bool:
    if not _UTC.match(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007 - the Z is in the pattern
    except ValueError:
        return False
    return True


def _hex64(value: Any) -> bool:
    return isinstance(value, str) and bool(_HEX64.match(value))


def _hex16(value: Any) -> bool:
    return isinstance(value, str) and bool(_HEX16.match(value))


def _code(value: Any) -> bool:
    return isinstance(value, str) and bool(_CODE.match(value))


def _slug(value: Any) -> bool:
    return isinstance(value, str) and bool(_SLUG.match(value))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == value
        and abs(value) != float("inf")
    )


def _uuid(value: Any) -> bool:
    return isinstance(value, str) and _uuid_text(value)


@functools.lru_cache(maxsize=4096)
def _uuid_text(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _one_of(*choices: str) -> Check:
    return lambda value: value in choices


def _codes(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= 20 and all(_code(item) for item in value)


SCHEMAS: dict[str, dict[str, tuple[Check, str]]] = {
    "kyc.decision": {
        "case": (_hex64, "a 64-hex pseudonym"),
        "outcome": (
            _one_of("approved", "rejected", "resubmission_requested"),
            "approved, rejected or resubmission_requested",
        ),
        "reason_codes": (_codes, "a list of at most 20 snake_case codes"),
        "decided_at": (_utc, "a UTC time like 2026-11-23T08:00:00Z"),
    },
    "reputation.change": {
        "subject": (_hex64, "a 64-hex pseudonym"),
        "source": (_code, "a snake_case code"),
        "delta": (_number, "a finite number"),
        "score": (_number, "a finite number"),
        "level": (_count, "a non-negative integer"),
        "at": (_utc, "a UTC time like 2026-11-23T08:00:00Z"),
    },
    "reputation.batch": {
        "first": (_count, "a non-negative integer"),
        "last": (_count, "a non-negative integer"),
        "count": (_count, "a non-negative integer"),
        "root": (_hex64, "64 lower-case hex digits"),
        "at": (_utc, "a UTC time like 2026-11-23T08:00:00Z"),
    },
    "dataset.export": {
        "project": (_uuid, "a UUID"),
        "format": (_one_of("jsonl", "csv"), "jsonl or csv"),
        "sha256": (_hex64, "64 lower-case hex digits"),
        "items": (_count, "a non-negative integer"),
        "answers": (_count, "a non-negative integer"),
        "exported_at": (_utc, "a UTC time like 2026-11-23T08:00:00Z"),
    },
    "community.moderation": {
        "action": (_one_of("mute", "ban"), "mute or ban"),
        "subject": (_hex64, "a 64-hex pseudonym"),
        "room": (lambda value: value is None or _slug(value), "a room's slug or null"),
        "until": (lambda value: value is None or _utc(value), "a UTC time or null"),
        "at": (_utc, "a UTC time like 2026-11-23T08:00:00Z"),
    },
    "ledger.key_rotation": {
        "key_id": (_hex16, "16 hex digits"),
        "public_key": (_hex64, "64 hex digits (raw Ed25519 public key)"),
        "previous_key_id": (lambda value: value is None or _hex16(value), "16 hex digits or null"),
        "at": (_utc, "a UTC time like 2026-11-23T08:00:00Z"),
    },
}


def validate(kind: str, payload: Any) -> None:
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ValueError(f"kind: unknown entry kind {kind!r}; expected one of {sorted(SCHEMAS)}")
    if not isinstance(payload, dict):
        raise ValueError("payload: must be an object")
    for field in sorted(set(payload) - set(schema)):
        raise ValueError(f"{field}: not a field of {kind}")
    for field, (check, expected) in schema.items():
        if field not in payload:
            raise ValueError(f"{field}: required for {kind}")
        if not check(payload[field]):
            raise ValueError(f"{field}: must be {expected}")


def utc_timestamp(moment: datetime) -> str:
    """The schema's time format for an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined UTC time")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
