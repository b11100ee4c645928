"""Moderator penalties and their one appeal: services (one durable transaction each).

A penalty is a negative reputation event with a reason code the person sees. They may
appeal it once; another moderator upholds it or overturns it, and an overturned penalty is
taken back by a voiding event, so the score becomes what it would have been without it
(the events stay, append-only, for the public feed).

The person hears of the penalty and of the decision on their appeal as kept
notifications (live on /ws/feed/, under the bell, e-mailed when away), each with the
moderator's reason and a link to their reputation page, never with the moderator's name.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services.notifications import notification_send
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from reputation.models import Penalty, ReputationEvent
from reputation.services.events import event_record

MODERATE = "accounts.moderate_community"
DEFAULT_WEIGHT = 5.0


def _require_moderator(moderator: User, person: User) -> None:
    if not moderator.has_perm(MODERATE):
        raise Forbidden("Only moderators may penalise or decide appeals.")
    if moderator.pk == person.pk:
        raise Forbidden("Nobody penalises themselves or decides their own appeal.")


def _penalty_url(penalty: Penalty) -> str:
    # The person's own reputation page shows the penalty, its reason and the appeal form.
    return f"{reverse('reputation:mine')}#penalty-{penalty.public_id}"


def _text(value: str, *, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"Write {what}.", field=field)
    if len(value) > 2000:
        raise InvalidInput("At most 2000 characters.", field=field)
    return value


def penalty_impose(
    *, moderator: User, user: User, reason: str, explanation: str, weight: float = DEFAULT_WEIGHT
) -> Penalty:
    _require_moderator(moderator, user)
    if reason not in Penalty.Reason.values:
        raise InvalidInput(f"Choose one of: {', '.join(Penalty.Reason.values)}.", field="reason")
    explanation = _text(explanation, field="explanation", what="what the person did and why")
    if not 0 < weight <= 10 or round(weight * 1000) != weight * 1000:
        raise InvalidInput("A weight between 0.001 and 10, in thousandths.", field="weight")
    public_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        event_record(
            user=user,
            source=ReputationEvent.Source.PENALTY,
            positive=False,
            subject=f"reputation.penalty:{public_id}",
            weight=weight,
            reason=reason,
        )
        event = ReputationEvent.objects.filter(user=user).order_by("-id").first()
        assert event is not None
        penalty = Penalty.objects.create(
            public_id=public_id,
            user=user,
            moderator=moderator,
            reason=reason,
            explanation=explanation,
            weight=weight,
            event=event,
        )
        reason_label = penalty.get_reason_display()
        message = (
            f"A moderator penalised your reputation: {reason_label}."
            " You may appeal once on your reputation page."
        )
        notification_send(
            user=user,
            kind="reputation.penalty",
            title=f"A moderator penalised your reputation: {reason_label}",
            body="You may appeal it once, from your reputation page.\n\n"
            f"The moderator's reason: {explanation}",
            url=_penalty_url(penalty),
            event={"type": "reputation.penalty", "penalty": str(public_id), "message": message},
        )
    return penalty


def _locked(penalty: Penalty) -> Penalty:
    return Penalty.objects.select_for_update().select_related("event", "user").get(pk=penalty.pk)


def penalty_appeal(*, user: User, penalty: Penalty, text: str) -> Penalty:
    text = _text(text, field="text", what="why the penalty is wrong")
    with transaction.atomic(durable=True):
        current = _locked(penalty)
        if current.user_id != user.pk:
            raise NotFound("No such penalty.")
        if current.appeal != Penalty.Appeal.NONE:
            raise Conflict("A penalty may be appealed once, and this one was appealed already.")
        current.appeal = Penalty.Appeal.PENDING
        current.appeal_text = text
        current.appealed_at = timezone.now()
        current.save(update_fields=["appeal", "appeal_text", "appealed_at"])
    return current


def appeal_decide(*, moderator: User, penalty: Penalty, decision: str, note: str) -> Penalty:
    if decision not in (Penalty.Appeal.UPHELD, Penalty.Appeal.OVERTURNED):
        raise InvalidInput("Decide upheld or overturned.", field="decision")
    note = _text(note, field="note", what="the reason for the decision")
    with transaction.atomic(durable=True):
        current = _locked(penalty)
        _require_moderator(moderator, current.user)
        if current.appeal != Penalty.Appeal.PENDING:
            raise Conflict("Only a pending appeal can be decided.")
        current.appeal = decision
        current.appeal_note = note
        current.decided_by = moderator
        current.decided_at = timezone.now()
        current.save(update_fields=["appeal", "appeal_note", "decided_by", "decided_at"])
        overturned = decision == Penalty.Appeal.OVERTURNED
        if overturned:
            event_record(
                user=current.user,
                source=ReputationEvent.Source.PENALTY,
                positive=True,
                subject=f"reputation.penalty:{current.public_id}",
                weight=current.weight,
                reason="overturned",
                voids=current.event,
            )
        message = (
            "Your appeal was granted: the penalty no longer counts."
            if overturned
            else "Your appeal was refused: the penalty stands."
        )
        notification_send(
            user=current.user,
            kind="reputation.appeal_decided",
            title="Your appeal was granted" if overturned else "Your appeal was refused",
            body=f"{message}\n\nThe moderator's reason: {note}",
            url=_penalty_url(current),
            event={
                "type": "reputation.appeal",
                "penalty": str(current.public_id),
                "message": message,
            },
        )
    return current
