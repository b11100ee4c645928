"""The scoring rules' parameters, from settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from reputation import scoring

# Every event asks for the rules several times, and reading a setting is a lookup through
# Django's lazy settings object; they are made once, and again after a setting changes
# (tests override them).
_current: scoring.Rules | None = None


def rules() -> scoring.Rules:
    global _current
    if _current is None:
        _current = scoring.Rules(
            half_life_days=float(getattr(settings, "REPUTATION_HALF_LIFE_DAYS", 180)),
            daily_gain_cap=round(float(getattr(settings, "REPUTATION_DAILY_GAIN_CAP", 20)) * 1000),
            grace_days=int(getattr(settings, "REPUTATION_GRACE_DAYS", 14)),
        )
    return _current


@receiver(setting_changed)
def _rules_forget(*, setting: str, **kwargs: Any) -> None:
    global _current
    if setting.startswith("REPUTATION_"):
        _current = None
