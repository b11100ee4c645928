from __future__ import annotations

from accounts.models import User
from reputation.models import ReputationScore
from reputation.scoring import PRIVILEGES


def user_level(*, user: User) -> int:
    """1 for a newcomer; rises with weighted good outcomes (see reputation.scoring)."""
    level = ReputationScore.objects.filter(user=user).values_list("level", flat=True).first()
    return level or 1


def has_privilege(user: User, name: str) -> bool:
    """Whether `user`'s level unlocks privilege `name` (a key of `scoring.PRIVILEGES`)."""
    try:
        needed = PRIVILEGES[name]
    except KeyError:
        raise ValueError(f"unknown privilege {name!r}") from None
    if not user.is_authenticated:
        return False
    return needed <= 1 or user_level(user=user) >= needed
