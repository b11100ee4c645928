"""Recording reputation evidence. Apps above (kyc, tasks, community) call `event_record`.

A level change is a public decision and goes into the transparency log (kind
`reputation.change`) in the same transaction; individual events do not, because an entry
per answer would put every answer behind the log's single append lock.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from ledger.pseudonyms import pseudonym
from ledger.schemas import utc_timestamp
from ledger.services import entry_record
from reputation.models import ReputationEvent, ReputationScore
from reputation.scoring import level_for, wilson_lower_bound


def event_record(
    *, user: User, source: str, positive: bool, subject: str, weight: float = 1.0
) -> ReputationScore:
    """Record one piece of evidence and update the score. Runs inside the caller's
    transaction when there is one (the decision the evidence comes from), so not durable."""
    if source not in ReputationEvent.Source.values:
        raise ValueError(f"source: unknown reputation source {source!r}")
    if not 0 < weight <= 10:
        raise ValueError("weight: must be in (0, 10]")
    with transaction.atomic():
        ReputationEvent.objects.create(
            user=user, source=source, positive=positive, weight=weight, subject=subject
        )
        score, _ = ReputationScore.objects.select_for_update().get_or_create(user=user)
        previous_level = score.level
        score.total += weight
        score.positive += weight if positive else 0.0
        score.score = wilson_lower_bound(score.positive, score.total)
        score.level = level_for(score=score.score, evidence=score.total)
        score.save(update_fields=["total", "positive", "score", "level", "updated_at"])
        if score.level != previous_level:
            entry_record(
                kind="reputation.change",
                payload={
                    "subject": pseudonym("pioneer", user.public_id),
                    "source": source,
                    "delta": score.level - previous_level,
                    "score": round(score.score, 6),
                    "level": score.level,
                    "at": utc_timestamp(timezone.now()),
                },
            )
    return score
