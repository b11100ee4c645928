"""What the validators' side shows: the checks still waiting for a validator, and their
record against the final decisions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from kyc import conf
from kyc.models import Case, Question, State, ValidatorVote
from kyc.selectors.conflicts import conflicts_of


def validator_pending_checks(*, validator: User) -> int:
    """How many checks `check_next` could still hand this validator now: per question,
    the cases in review that need more votes than they have or are promised, that they
    have not answered and have no conflict with. One query per question."""
    now = timezone.now()
    needed = conf.validator_votes()
    conflicted = conflicts_of(validator)
    pending = 0
    for question in Question.values:
        answered = ValidatorVote.objects.filter(validator=validator, question=question).values(
            "case_id"
        )
        pending += (
            Case.objects.filter(state=State.IN_REVIEW, risk_flags=[])
            .exclude(conflicted)
            .exclude(pk__in=answered)
            .annotate(
                votes_so_far=Count("votes", filter=Q(votes__question=question), distinct=True),
                handed_out=Count(
                    "check_assignments",
                    filter=Q(
                        check_assignments__question=question,
                        check_assignments__closed_at__isnull=True,
                        check_assignments__expires_at__gt=now,
                    )
                    & ~Q(check_assignments__validator=validator),
                    distinct=True,
                ),
            )
            .alias(taken=F("votes_so_far") + F("handed_out"))
            .filter(taken__lt=needed)
            .count()
        )
    return pending


@dataclass(frozen=True)
class ValidatorRecord:
    votes: int
    settled: int  # votes on cases whose final decision is known
    agreed: int

    @property
    def accuracy(self) -> float | None:
        """Share of settled votes that agreed with the final decision."""
        return self.agreed / self.settled if self.settled else None


def validator_record(*, validator: User) -> ValidatorRecord:
    counts = ValidatorVote.objects.filter(validator=validator).aggregate(
        votes=Count("pk"),
        settled=Count("pk", filter=Q(agreed_with_decision__isnull=False)),
        agreed=Count("pk", filter=Q(agreed_with_decision=True)),
    )
    return ValidatorRecord(
        votes=counts["votes"], settled=counts["settled"], agreed=counts["agreed"]
    )
