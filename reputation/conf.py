"""The scoring rules' parameters, from settings."""

from __future__ import annotations

from django.conf import settings

from reputation import scoring


def rules() -> scoring.Rules:
    return scoring.Rules(
        half_life_days=float(getattr(settings, "REPUTATION_HALF_LIFE_DAYS", 180)),
        daily_gain_cap=round(float(getattr(settings, "REPUTATION_DAILY_GAIN_CAP", 20)) * 1000),
        grace_days=int(getattr(settings, "REPUTATION_GRACE_DAYS", 14)),
    )
