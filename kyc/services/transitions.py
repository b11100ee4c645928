"""The KYC state machine: lock a case, guard an action, move the case and record the move.

`TRANSITIONS` names, per action, the states it may start from and the states it may lead
to. Every state change of a case goes through `case_move`, which checks both against the
table, so no code path moves a case the table does not allow; an action from another state
is a Conflict (HTTP 409). Callers hold the row lock (`case_lock`) and their own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accounts.models import User
from core.errors import Conflict, Forbidden
from kyc.models import Case, CaseEvent, State
from kyc.selectors.conflicts import review_conflict

EDITABLE = frozenset({State.DRAFT, State.RESUBMISSION_REQUESTED})
REVIEWABLE = frozenset({State.IN_REVIEW, State.ESCALATED, State.APPEALED})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    targets: frozenset[str]
    # How the refusal reads: "A case in state 'approved' cannot be <done>."
    done: str


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(EDITABLE, frozenset({State.SUBMITTED}), "submitted"),
    "start_checks": Transition(
        frozenset({State.SUBMITTED}), frozenset({State.CHECKING}), "checked"
    ),
    # The checks job failed on this case every time it was sent: a moderator checks by hand.
    "checks_failed": Transition(
        frozenset({State.SUBMITTED}), frozenset({State.ESCALATED}), "handed to a moderator"
    ),
    "finish_checks": Transition(
        frozenset({State.CHECKING}), frozenset({State.IN_REVIEW, State.ESCALATED}), "checked"
    ),
    # A claim changes who reviews, not the state.
    "claim": Transition(REVIEWABLE, frozenset(), "claimed"),
    "decide": Transition(
        REVIEWABLE,
        frozenset({State.APPROVED, State.REJECTED, State.RESUBMISSION_REQUESTED}),
        "decided",
    ),
    "escalate": Transition(frozenset({State.IN_REVIEW}), frozenset({State.ESCALATED}), "escalated"),
    "appeal": Transition(frozenset({State.REJECTED}), frozenset({State.APPEALED}), "appealed"),
}


def case_lock(*, case: Case) -> Case:
    """The case read again under its row lock: what the caller guards and changes."""
    return Case.objects.select_for_update().get(pk=case.pk)


def case_guard(*, case: Case, action: str) -> None:
    transition = TRANSITIONS[action]
    if case.state not in transition.sources:
        raise Conflict(f"A case in state '{case.state}' cannot be {transition.done}.")


def case_guard_reviewer(*, case: Case, reviewer: User) -> None:
    """Every reviewing action on a case passes here, a moderator's or a validator's: nobody
    acts on their own case or on one they have a conflict of interest with
    (`kyc.selectors.conflicts.conflicts_of`). Call it with the case locked, so the check and
    the action see the same case."""
    reason = review_conflict(case=case, person=reviewer)
    if reason:
        raise Forbidden(reason)


def case_lock_for_review(*, case: Case, reviewer: User, action: str) -> Case:
    locked = case_lock(case=case)
    case_guard_reviewer(case=locked, reviewer=reviewer)
    case_guard(case=locked, action=action)
    return locked


def case_move(
    *,
    case: Case,
    action: str,
    to: str,
    actor: User | None,
    reason: str = "",
    fields: Iterable[str] = (),
) -> None:
    """Move a locked case by `action` to `to`, saving `fields` with it, and record the event."""
    case_guard(case=case, action=action)
    if to not in TRANSITIONS[action].targets:
        raise ValueError(f"'{action}' never leads to '{to}'.")
    from_state = case.state
    case.state = to
    case.save(update_fields=["state", "updated_at", *fields])
    CaseEvent.objects.create(
        case=case, actor=actor, action=action, from_state=from_state, to_state=to, reason=reason
    )
