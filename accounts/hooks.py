"""Hooks through which apps above accounts lend it facts it may not import."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

LevelProvider = Callable[["User"], int]
_level_provider: list[LevelProvider] = []


def register_level_provider(provider: LevelProvider) -> None:
    """The reputation app tells accounts how to read a person's level.

    accounts sits below reputation in the layers and may not import it; this hook lets
    `/me` and the dashboard show the level anyway.
    """
    _level_provider[:] = [provider]


def reputation_level(user: User) -> int | None:
    return _level_provider[0](user) if _level_provider else None


NextStepProvider = Callable[["User"], "dict[str, object] | None"]
_next_step_provider: list[NextStepProvider] = []


def register_next_step_provider(provider: NextStepProvider) -> None:
    """The reputation app tells accounts what a person's next level needs, in words
    (`{"level": int, "gains": int | None, "words": str}`, None at the top level)."""
    _next_step_provider[:] = [provider]


def reputation_next_step(user: User) -> dict[str, object] | None:
    return _next_step_provider[0](user) if _next_step_provider else None
