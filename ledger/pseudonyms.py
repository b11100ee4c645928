"""Keyed pseudonyms: how people and cases appear in the public log.

`pseudonym(namespace, value)` is HMAC-SHA256(LEDGER_PSEUDONYM_KEY, "<namespace>:<value>")
in hex. Without the key nobody can link a pseudonym to a user's UUID, even by trying every
UUID; with it, the platform can show a person which entries are theirs. The namespace keeps
one person's pseudonyms unlinkable across contexts (a case and a pioneer id differ).
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from ledger.conf import pseudonym_key


def pseudonym(namespace: str, value: str | UUID) -> str:
    if not namespace or ":" in namespace:
        raise ValueError("namespace must be a non-empty string without ':'")
    message = f"{namespace}:{value}".encode()
    return hmac.new(pseudonym_key(), message, hashlib.sha256).hexdigest()
