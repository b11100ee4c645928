"""Conflicts of interest: the cases a person may not review, claim, decide, vote on or
open as a reviewer, and why."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q

from accounts.models import User
from kyc.models import Case, ReviewConflict, State, ValidatorVote


def _conflict_rules(person: User) -> dict[str, Q]:
    """Each way `person` can be tied to a case, as a condition on the case."""
    declared = ReviewConflict.objects.filter(reviewer=person).values("subject_id")
    voted_then_escalated = ValidatorVote.objects.filter(
        validator=person, case__events__to_state=State.ESCALATED
    ).values("case__user_id")
    own_identities = (
        Case.objects.filter(user=person).exclude(identity_hash="").values("identity_hash")
    )
    return {
        "own": Q(user_id=person.pk),
        "same_identity": Q(identity_hash__in=own_identities),
        "declared": Q(user_id__in=declared),
        "voted": Q(user_id__in=voted_then_escalated),
        "appeal": Q(state=State.APPEALED, decided_by_id=person.pk),
    }


CONFLICT_MESSAGES = {
    "own": "This is your own case: nobody reviews their own identity.",
    "same_identity": "This case uses the same identity document as your own case.",
    "declared": "You declared a conflict of interest with this person.",
    "voted": "You voted on this person's case before it went to a moderator.",
    "appeal": "An appeal is decided by a different moderator than the first decision.",
}


def conflicts_of(person: User) -> Q:
    """The cases `person` may not review, claim, decide, vote on or open as a reviewer.

    The one definition of a conflict of interest: the services' reviewer guard, the
    moderators' queue and the validators' checks all use it. A conflict is with a person,
    so it covers their later cases too:
    - their own case, and any case with the identity (document) of one of their own cases;
    - a person they declared a conflict with (`ReviewConflict`);
    - a person whose case they voted on as a validator and that then went to a moderator
      (a "no" or a risk flag): their view of that person is already on record;
    - an appeal against their own decision.
    """
    rules = iter(_conflict_rules(person).values())
    combined = next(rules)
    for rule in rules:
        combined |= rule
    return combined


def review_conflict(*, case: Case, person: User) -> str | None:
    """Why `person` may not review `case` (the first rule that applies), or None."""
    rules = _conflict_rules(person)
    found = (
        Case.objects.filter(pk=case.pk)
        .values(
            **{
                name: ExpressionWrapper(rule, output_field=BooleanField())
                for name, rule in rules.items()
            }
        )
        .first()
    )
    for name in rules:
        if found and found[name]:
            return CONFLICT_MESSAGES[name]
    return None
