"""Where a person's identity case stands, in words, with the one next step. Pure: takes
the case's state and texts, no database."""

from __future__ import annotations

from dataclasses import dataclass

from kyc.models import ReasonCode, State


@dataclass(frozen=True)
class Standing:
    label: str  # the short state the pill shows
    tone: str  # ok | pending | action
    detail: str
    next_step: str  # what to do now, or "" when nothing is asked of the person
    next_url: str  # a URL name, or ""


def reason_labels(codes: list[str]) -> list[str]:
    labels = dict(ReasonCode.choices)
    return [str(labels.get(code, code.replace("_", " "))) for code in codes]


def case_standing(
    *, state: str | None, resubmission_reasons: str = "", reason_codes: list[str] | None = None
) -> Standing:
    if state is None:
        return Standing(
            "Identity not verified yet",
            "action",
            "You have not started identity verification. Verified members may work on tasks.",
            "Start identity verification",
            "kyc:status",
        )
    if state == State.DRAFT:
        return Standing(
            "Identity not verified yet",
            "action",
            "Your case is a draft: it has not been sent for review.",
            "Finish and submit your case",
            "kyc:status",
        )
    if state in (State.SUBMITTED, State.CHECKING):
        return Standing(
            "Identity checks running",
            "pending",
            "Your case was submitted; the automatic checks are running. Nothing to do for now.",
            "",
            "",
        )
    if state in (State.IN_REVIEW, State.ESCALATED):
        return Standing(
            "Identity in review",
            "pending",
            "Your case is in review by validators or a moderator. Nothing to do for now: "
            "you will be told when it is decided.",
            "",
            "",
        )
    if state == State.APPEALED:
        return Standing(
            "Appeal in review",
            "pending",
            "Your appeal is with a moderator who did not make the first decision.",
            "",
            "",
        )
    if state == State.RESUBMISSION_REQUESTED:
        reason = resubmission_reasons.strip() or "see your verification page"
        return Standing(
            "Action needed",
            "action",
            f"Action needed: {reason}",
            "Fix your case and submit it again",
            "kyc:status",
        )
    if state == State.REJECTED:
        why = ", ".join(reason_labels(reason_codes or [])) or "no reason given"
        return Standing(
            "Identity not approved",
            "action",
            f"Your case was not approved: {why}.",
            "Appeal the decision",
            "kyc:status",
        )
    return Standing("Identity verified", "ok", "Your identity is verified.", "", "")
