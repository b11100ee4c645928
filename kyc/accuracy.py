"""How much a validator's vote weighs, whether they are paused, how many checks a day they
are offered: all from their agreement with final decisions (ValidatorVote.
agreed_with_decision), as a Wilson lower bound, so a lucky streak of two proves little."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import User
from kyc import conf
from kyc.models import ValidatorVote
from reputation.scoring import wilson_lower_bound


@dataclass(frozen=True)
class Accuracy:
    agreed: int
    decided: int

    @property
    def known(self) -> bool:
        return self.decided >= conf.validator_min_decided()

    @property
    def bound(self) -> float:
        return wilson_lower_bound(self.agreed, self.decided)

    @property
    def weight(self) -> float:
        """A vote's say: the accuracy bound once known, a fixed newcomer's weight before,
        never zero (a question whose every vote weighed nothing would have no share)."""
        return round(max(0.05, self.bound if self.known else conf.validator_new_weight()), 6)

    @property
    def checks_per_day(self) -> int:
        base, top = conf.checks_per_day(), conf.checks_per_day_max()
        if not self.known:
            return base
        return base + round((top - base) * self.bound)

    @property
    def below_bar(self) -> bool:
        return self.known and self.bound < conf.validator_pause_below()


def validator_accuracy(*, validator: User) -> Accuracy:
    counts = ValidatorVote.objects.filter(
        validator=validator, agreed_with_decision__isnull=False
    ).aggregate(decided=Count("pk"), agreed=Count("pk", filter=Q(agreed_with_decision=True)))
    return Accuracy(agreed=counts["agreed"] or 0, decided=counts["decided"] or 0)


def question_outcome(votes: list[tuple[bool, float]], needed: int, share: float) -> bool | None:
    """True (yes carries it), False (it cannot any more) or None (wait for more votes).

    Votes weigh at most 1, so the yes share the question could still reach is its yes
    weight plus one per missing vote, over the total likewise."""
    yes = sum(weight for answer, weight in votes if answer)
    total = sum(weight for _, weight in votes)
    missing = max(0, needed - len(votes))
    if (yes + missing) < share * (total + missing):
        return False
    if missing:
        return None
    return yes >= share * total
