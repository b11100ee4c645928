"""Moderators review cases: claim, decide, escalate; any reviewer declares a conflict.

Outcomes (a moderator's decision, or the validators' agreement through
`case_record_outcome`) write a `kyc.decision` ledger leaf in the same transaction and tell
the pioneer (socket and e-mail) after commit.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services.notifications import notification_send
from accounts.services.users import user_clear_verified, user_set_verified
from core.errors import Conflict, Forbidden, InvalidInput
from kyc import conf
from kyc.models import (
    Case,
    CaseEvent,
    CheckAssignment,
    ReasonCode,
    ReviewConflict,
    State,
)
from kyc.services.transitions import case_lock, case_lock_for_review, case_move
from kyc.services.validators import votes_score
from ledger.pseudonyms import pseudonym
from ledger.schemas import utc_timestamp
from ledger.services import entry_record

DECISIONS = {
    "approve": State.APPROVED,
    "reject": State.REJECTED,
    "request_resubmission": State.RESUBMISSION_REQUESTED,
}


def is_moderator(user: User) -> bool:
    return user.has_perm("accounts.review_kyc_cases")


def case_claim(*, case: Case, moderator: User) -> Case:
    """Take a case for review for KYC_CLAIM_MINUTES; an expired claim may be taken over."""
    if not is_moderator(moderator):
        raise Forbidden("Only moderators review cases.")
    with transaction.atomic(durable=True):
        case = case_lock_for_review(case=case, reviewer=moderator, action="claim")
        now = timezone.now()
        if (
            case.claimed_by_id not in (None, moderator.pk)
            and case.claim_expires_at
            and case.claim_expires_at > now
        ):
            raise Conflict("Another moderator is reviewing this case.")
        case.claimed_by = moderator
        case.claim_expires_at = now + timedelta(minutes=conf.claim_minutes())
        case.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
        CaseEvent.objects.create(
            case=case, actor=moderator, action="claim", from_state=case.state, to_state=case.state
        )
    return case


def case_unclaim(*, case: Case, moderator: User) -> Case:
    """Give a claimed case back to the queue before the claim runs out; only its holder."""
    if not is_moderator(moderator):
        raise Forbidden("Only moderators review cases.")
    with transaction.atomic(durable=True):
        case = case_lock_for_review(case=case, reviewer=moderator, action="claim")
        if case.claimed_by_id != moderator.pk:
            raise Conflict("You do not hold this case.")
        case.claimed_by = None
        case.claim_expires_at = None
        case.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
        CaseEvent.objects.create(
            case=case, actor=moderator, action="unclaim", from_state=case.state, to_state=case.state
        )
    return case


def _holds_claim(case: Case, moderator: User) -> None:
    if (
        case.claimed_by_id != moderator.pk
        or not case.claim_expires_at
        or case.claim_expires_at <= timezone.now()
    ):
        raise Conflict("Claim the case first (claims expire).")


def case_decide(
    *,
    case: Case,
    moderator: User,
    decision: str,
    reason_codes: list[str],
    note: str = "",
    resubmission_reasons: str = "",
) -> Case:
    if not is_moderator(moderator):
        raise Forbidden("Only moderators decide cases.")
    if decision not in DECISIONS:
        raise InvalidInput("Choose approve, reject or request_resubmission.", field="decision")
    unknown = sorted(set(reason_codes) - set(ReasonCode.values))
    if unknown or not reason_codes:
        raise InvalidInput(
            "Use one or more of the listed reason codes"
            + (f" (unknown: {', '.join(unknown)})." if unknown else "."),
            field="reason_codes",
        )
    if decision == "request_resubmission" and not resubmission_reasons.strip():
        raise InvalidInput("Tell the pioneer exactly what to fix.", field="resubmission_reasons")
    target = DECISIONS[decision]
    with transaction.atomic(durable=True):
        case = case_lock_for_review(case=case, reviewer=moderator, action="decide")
        _holds_claim(case, moderator)
        if case.state == State.APPEALED and target == State.RESUBMISSION_REQUESTED:
            raise InvalidInput("An appeal is approved or rejected.", field="decision")
        case_record_outcome(
            case=case,
            target=target,
            decided_by=moderator,
            reason_codes=reason_codes,
            note=note,
            resubmission_reasons=resubmission_reasons,
        )
    return case


def case_record_outcome(
    *,
    case: Case,
    target: str,
    decided_by: User | None,
    reason_codes: list[str],
    note: str = "",
    resubmission_reasons: str = "",
) -> None:
    """The shared tail of every decision (a moderator's, or the validators' agreement):
    the case row, the verified flag, the ledger leaf, the validators' agreement and the
    pioneer's notice. Runs inside the caller's transaction with the case locked."""
    user = User.objects.select_for_update().get(pk=case.user_id)
    now = timezone.now()
    case.decided_by = decided_by
    case.decided_at = now
    case.reason_codes = sorted(set(reason_codes))
    case.decision_note = note
    case.resubmission_reasons = (
        resubmission_reasons if target == State.RESUBMISSION_REQUESTED else ""
    )
    case.claimed_by = None
    case.claim_expires_at = None
    case_move(
        case=case,
        action="decide",
        to=target,
        actor=decided_by,
        reason=",".join(case.reason_codes),
        fields=[
            "decided_by",
            "decided_at",
            "reason_codes",
            "decision_note",
            "resubmission_reasons",
            "claimed_by",
            "claim_expires_at",
        ],
    )
    if target == State.APPROVED and not user.is_verified:
        user_set_verified(user=user)
    elif target != State.APPROVED and user.is_verified:
        user_clear_verified(user=user)
    # Did each validator see what the final decision saw? Their reputation says.
    votes_score(case=case, target=target)
    entry = entry_record(
        kind="kyc.decision",
        payload={
            "case": pseudonym("kyc.case", case.public_id),
            "outcome": str(target),
            "reason_codes": case.reason_codes,
            "decided_at": utc_timestamp(now),
        },
    )
    case.decision_entry = entry.index
    case.save(update_fields=["decision_entry"])
    _tell_pioneer(user, case)


def _tell_pioneer(user: User, case: Case) -> None:
    messages = {
        State.APPROVED: "Your identity is verified. The task feed is open to you.",
        State.REJECTED: (
            "Your identity verification was not approved. You can appeal from the status page."
        ),
        State.RESUBMISSION_REQUESTED: "Please fix your verification: " + case.resubmission_reasons,
    }
    text = messages[State(case.state)]
    # Kept, live, and e-mailed when the person is away unless they turned that off.
    notification_send(
        user=user,
        kind="kyc.decision",
        title="Your identity verification was decided",
        body=text,
        url=reverse("kyc:status"),
        event={"type": "kyc.decision", "outcome": case.state, "message": text},
    )


def case_escalate(*, case: Case, moderator: User, reason: str) -> Case:
    if not is_moderator(moderator):
        raise Forbidden("Only moderators escalate cases.")
    if not reason.strip():
        raise InvalidInput("Say why the case needs escalation.", field="reason")
    with transaction.atomic(durable=True):
        case = case_lock_for_review(case=case, reviewer=moderator, action="escalate")
        _holds_claim(case, moderator)
        case.claimed_by = None
        case.claim_expires_at = None
        case_move(
            case=case,
            action="escalate",
            to=State.ESCALATED,
            actor=moderator,
            reason=reason,
            fields=["claimed_by", "claim_expires_at"],
        )
    return case


def conflict_declare(*, case: Case, reviewer: User, reason: str) -> ReviewConflict:
    """A moderator or validator says they cannot judge this person impartially. From now on
    none of the person's cases reach them; a claim or check they hold on it is given back."""
    if not (is_moderator(reviewer) or reviewer.has_perm("accounts.vote_kyc_checks")):
        raise Forbidden("Only moderators and validators declare conflicts of interest.")
    if not reason.strip():
        raise InvalidInput("Say what ties you to this person.", field="reason")
    with transaction.atomic(durable=True):
        case = case_lock(case=case)
        if case.user_id == reviewer.pk:
            raise Conflict("This is your own case; it never reaches you for review.")
        conflict, _ = ReviewConflict.objects.get_or_create(
            reviewer=reviewer,
            subject_id=case.user_id,
            defaults={"case": case, "reason": reason.strip()},
        )
        if case.claimed_by_id == reviewer.pk:
            case.claimed_by = None
            case.claim_expires_at = None
            case.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
        CheckAssignment.objects.filter(
            validator=reviewer, case__user_id=case.user_id, closed_at__isnull=True
        ).update(closed_at=timezone.now())
        CaseEvent.objects.create(
            case=case,
            actor=reviewer,
            action="declare_conflict",
            from_state=case.state,
            to_state=case.state,
        )
    return conflict
