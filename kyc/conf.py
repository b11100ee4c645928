"""KYC settings, each with a default.

- KYC_ENCRYPTION_KEYS: "keyid:base64-32-byte-key,..." - AES-256-GCM keys; the FIRST
  encrypts new documents, all of them decrypt (rotation: put the new key first). Generated
  into .local/ in development; required in production.
- KYC_MAX_UPLOAD_BYTES (10 MB), KYC_MAX_PIXELS (24 Mpx), KYC_DOCUMENT_MAX_SIDE (2,000 px),
  KYC_MIN_AGE (18),
  KYC_CLAIM_MINUTES (30), KYC_RETENTION_DAYS (30), KYC_IDENTITY_KEY (HMAC key for the
  one-identity-per-person hash; generated in development), KYC_VALIDATOR_VOTES (3),
  KYC_CHECK_MINUTES (10: how long a check handed to a validator stays theirs).
- Validator accuracy (the Wilson lower bound of their agreement with final decisions):
  KYC_VALIDATOR_MIN_DECIDED (5: decided votes before accuracy counts),
  KYC_VALIDATOR_NEW_WEIGHT (0.5: a vote's weight until then), KYC_VALIDATOR_PAUSE_BELOW
  (0.4: accuracy under which a validator is paused), KYC_APPROVE_SHARE (0.75: weighted
  share of yes each question needs), KYC_CHECKS_PER_DAY (10 at first, up to
  KYC_CHECKS_PER_DAY_MAX, 50, at perfect accuracy).
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings

from pioneer_platform.settings import env, local_secret


def encryption_keys() -> list[tuple[str, bytes]]:
    raw = (
        getattr(settings, "KYC_ENCRYPTION_KEYS", "")
        or env.str("KYC_ENCRYPTION_KEYS", default="")
        or local_secret(
            "kyc_encryption_keys",
            lambda: f"k{secrets.token_hex(4)}:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        )
    )
    keys = []
    for item in raw.split(","):
        key_id, _, value = item.strip().partition(":")
        key = base64.b64decode(value)
        if len(key) != 32 or not key_id:
            raise ValueError("KYC_ENCRYPTION_KEYS entries must be keyid:base64(32 bytes)")
        keys.append((key_id, key))
    return keys


def identity_key() -> bytes:
    value = (
        getattr(settings, "KYC_IDENTITY_KEY", "")
        or env.str("KYC_IDENTITY_KEY", default="")
        or local_secret("kyc_identity_key", lambda: secrets.token_urlsafe(32))
    )
    return value.encode()


def max_upload_bytes() -> int:
    return int(getattr(settings, "KYC_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


def max_pixels() -> int:
    """The largest photo accepted, by its header, before anything is decoded.

    24 Mpx takes every phone's default output (12 Mpx; 48-200 Mpx sensors bin to 12 unless
    set to their full-resolution mode) and 16-24 Mpx cameras. Only what is kept after
    `document_max_side` matters to a reviewer; the cap bounds what decoding may cost.
    """
    return int(getattr(settings, "KYC_MAX_PIXELS", 24_000_000))


def document_max_side() -> int:
    """Longest side of a stored document image.

    2,000 px gives a passport page that fills 80% of the frame about 325 dpi, above the
    300 dpi document scanners use for MRZ and face checks, and lets a 12 Mpx phone JPEG
    (4032 x 3024) be decoded at half scale: 3 megapixels in memory instead of 12.
    """
    return int(getattr(settings, "KYC_DOCUMENT_MAX_SIDE", 2000))


def min_age() -> int:
    return int(getattr(settings, "KYC_MIN_AGE", 18))


def claim_minutes() -> int:
    return int(getattr(settings, "KYC_CLAIM_MINUTES", 30))


def retention_days() -> int:
    return int(getattr(settings, "KYC_RETENTION_DAYS", 30))


def validator_votes() -> int:
    """Independent validator votes per question before the validators' verdict counts."""
    return int(getattr(settings, "KYC_VALIDATOR_VOTES", 3))


def check_minutes() -> int:
    return int(getattr(settings, "KYC_CHECK_MINUTES", 10))


def validator_min_decided() -> int:
    return int(getattr(settings, "KYC_VALIDATOR_MIN_DECIDED", 5))


def validator_new_weight() -> float:
    return float(getattr(settings, "KYC_VALIDATOR_NEW_WEIGHT", 0.5))


def validator_pause_below() -> float:
    return float(getattr(settings, "KYC_VALIDATOR_PAUSE_BELOW", 0.4))


def approve_share() -> float:
    return float(getattr(settings, "KYC_APPROVE_SHARE", 0.75))


def checks_per_day() -> int:
    return int(getattr(settings, "KYC_CHECKS_PER_DAY", 10))


def checks_per_day_max() -> int:
    return int(getattr(settings, "KYC_CHECKS_PER_DAY_MAX", 50))
