"""The scoring rules' parameters, from settings."""

from __future__ import annotations

import functools

from django.conf import settings

from reputation import scoring


def rules() -> scoring.Rules:
    return _rules(
        getattr(settings, "REPUTATION_HALF_LIFE_DAYS", 180),
        getattr(settings, "REPUTATION_DAILY_GAIN_CAP", 20),
        getattr(settings, "REPUTATION_GRACE_DAYS", 14),
    )


# Every event asks for the rules several times; they are made once per set of values (a
# test that overrides a setting gets its own).
@functools.lru_cache(maxsize=16)
def _rules(half_life_days: object, daily_gain_cap: object, grace_days: object) -> scoring.Rules:
    return scoring.Rules(
        half_life_days=float(half_life_days),  # type: ignore[arg-type]
        daily_gain_cap=round(float(daily_gain_cap) * 1000),  # type: ignore[arg-type]
        grace_days=int(grace_days),  # type: ignore[call-overload]
    )
