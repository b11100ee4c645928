"""Validators' standing: what their votes on decided cases earn, and the automatic pause.

Runs inside the decision's transaction (`moderation.case_record_outcome`), so nothing here
is durable: the events and the pause stand or fall with the decision.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services.notifications import notification_send
from kyc.accuracy import validator_accuracy
from kyc.models import Case, State, ValidatorStanding, ValidatorVote
from reputation.models import ReputationEvent
from reputation.services.events import event_record


def votes_score(*, case: Case, target: str) -> None:
    """Mark each vote on `case` as agreeing or not with its final decision, record a
    kyc_vote reputation event for each vote scored for the first time (a case decided
    again after an appeal does not count twice), and pause validators who fell below the
    bar."""
    if target not in {State.APPROVED, State.REJECTED}:
        return
    approved = target == State.APPROVED
    fresh = list(
        ValidatorVote.objects.filter(case=case, agreed_with_decision__isnull=True)
        .select_related("validator")
        .order_by("validator_id", "pk")  # score rows lock in id order: no deadlock
    )
    ValidatorVote.objects.filter(case=case, answer=approved).update(agreed_with_decision=True)
    ValidatorVote.objects.filter(case=case, answer=not approved).update(agreed_with_decision=False)
    for vote in fresh:
        event_record(
            user=vote.validator,
            source=ReputationEvent.Source.KYC_VOTE,
            positive=vote.answer == approved,
            subject=f"kyc.vote:{vote.pk}",
        )
    for validator in {vote.validator_id: vote.validator for vote in fresh}.values():
        validator_pause_if_below(validator=validator)


def validator_pause_if_below(*, validator: User) -> ValidatorStanding | None:
    """Pause a validator whose accuracy is known and under the bar, and tell them why."""
    accuracy = validator_accuracy(validator=validator)
    if not accuracy.below_bar:
        return None
    standing, _ = ValidatorStanding.objects.select_for_update().get_or_create(validator=validator)
    if standing.paused_at is not None:
        return standing
    standing.paused_at = timezone.now()
    standing.reason = (
        f"Your answers agreed with the final decision {accuracy.agreed} times out of "
        f"{accuracy.decided}; with that record we cannot yet rely on your checks. "
        "A moderator can resume you after a talk."
    )
    standing.save(update_fields=["paused_at", "reason"])
    # Kept: a validator away when the decision came learns why their checks stopped.
    notification_send(
        user=validator,
        kind="kyc.validator_paused",
        title="You are paused as a validator",
        body=standing.reason,
        url=reverse("kyc:validator-checks"),
        event={
            "type": "validator.paused",
            "message": "You are paused as a validator. " + standing.reason,
        },
    )
    return standing


def validator_pause_reason(*, validator: User) -> str | None:
    return (
        ValidatorStanding.objects.filter(validator=validator, paused_at__isnull=False)
        .values_list("reason", flat=True)
        .first()
    )
