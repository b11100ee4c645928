"""Ledger settings, each with a default; secrets come from the environment in production.

- LEDGER_SIGNING_KEY: base64 of the 32-byte Ed25519 private key that signs tree heads.
- LEDGER_PSEUDONYM_KEY: secret for the keyed pseudonyms that stand for people in leaves.
- LEDGER_STH_MAX_AGE: seconds after which a grown tree gets a new head on request.
- LEDGER_MAX_ENTRIES_PER_PAGE: cap of one entries request.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.conf import settings

from pioneer_platform.settings import env, local_secret


def _generate_signing_key() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(raw).decode()


def signing_key_b64() -> str:
    return (
        getattr(settings, "LEDGER_SIGNING_KEY", "")
        or env.str("LEDGER_SIGNING_KEY", default="")
        or local_secret("ledger_signing_key", _generate_signing_key)
    )


def pseudonym_key() -> bytes:
    value = (
        getattr(settings, "LEDGER_PSEUDONYM_KEY", "")
        or env.str("LEDGER_PSEUDONYM_KEY", default="")
        or local_secret("ledger_pseudonym_key", lambda: secrets.token_urlsafe(32))
    )
    return value.encode()


def sth_max_age() -> int:
    return int(getattr(settings, "LEDGER_STH_MAX_AGE", 60))


def max_entries_per_page() -> int:
    return int(getattr(settings, "LEDGER_MAX_ENTRIES_PER_PAGE", 1000))
