from __future__ import annotations

from accounts.models import User
from reputation.models import ReputationScore


def user_level(*, user: User) -> int:
    """1 for a newcomer; rises with weighted good outcomes (see reputation.scoring)."""
    level = ReputationScore.objects.filter(user=user).values_list("level", flat=True).first()
    return level or 1
