"""Reads of KYC cases, filtered by who is asking: a pioneer sees only their own case
(anyone else's is a 404), a moderator any case they have no conflict of interest with."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, Q

from accounts.models import User
from core.errors import Forbidden, NotFound
from kyc.models import Case, CaseEvent, Document
from kyc.selectors.conflicts import CONFLICT_MESSAGES, review_conflict


def _uuid(value: str | UUID) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def case_for_viewer(*, user: User, public_id: str | UUID) -> Case:
    """The case for its owner, or for a moderator without a conflict with it (403)."""
    key = _uuid(public_id)
    cases = Case.objects.select_related("user", "claimed_by", "decided_by").prefetch_related(
        "checks"
    )
    if not user.has_perm("accounts.review_kyc_cases"):
        cases = cases.filter(user=user)
    case = cases.filter(public_id=key).first() if key else None
    if case is None:
        raise NotFound("No such case.")
    if case.user_id != user.pk and (reason := review_conflict(case=case, person=user)):
        raise Forbidden(reason)
    return case


def case_for_reviewer(*, user: User, public_id: str | UUID) -> Case:
    """The case as a moderator reviews it: never their own."""
    case = case_for_viewer(user=user, public_id=public_id)
    if case.user_id == user.pk:
        raise Forbidden(CONFLICT_MESSAGES["own"])
    return case


def current_case(*, user: User) -> Case | None:
    return (
        Case.objects.filter(user=user)
        .prefetch_related("checks", "documents")
        .order_by("-created_at")
        .first()
    )


def document_for_viewer(*, user: User, public_id: str | UUID, kind: str) -> Document:
    """A document for whoever may see its case; anyone else learns nothing, not even that
    the case exists: 404 for a conflict of interest too."""
    try:
        case = case_for_viewer(user=user, public_id=public_id)
    except Forbidden:
        raise NotFound("No such document.") from None
    document = (
        Document.objects.select_related("case")
        .filter(case=case, kind=kind, purged_at__isnull=True)
        .first()
    )
    if document is None:
        raise NotFound("No such document.")
    return document


def latest_case(*, user: User) -> Case | None:
    """The person's most recent case, without its checks and documents: where it stands."""
    return Case.objects.filter(user=user).order_by("-created_at", "-pk").first()


def case_history(*, case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).select_related("actor"))


def personal_data_export(*, user: User) -> dict[str, object]:
    """Everything the KYC app holds about a person, for a data-access request (GDPR art. 15).

    Document images are listed, not embedded: the person downloads each through the
    permission-checked document view.
    """
    cases = (
        Case.objects.filter(user=user)
        .prefetch_related("checks", "documents", "events")
        .order_by("created_at")
    )
    return {
        "cases": [
            {
                "id": str(case.public_id),
                "state": case.state,
                "document_type": case.document_type,
                "surname": case.surname,
                "given_names": case.given_names,
                "birth_date": case.birth_date.isoformat(),
                "nationality": case.nationality,
                "issuing_state": case.issuing_state,
                "document_number": case.document_number,
                "expiry_date": case.expiry_date.isoformat(),
                "mrz": case.mrz,
                "risk_flags": case.risk_flags,
                "reason_codes": case.reason_codes,
                "resubmission_reasons": case.resubmission_reasons,
                "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
                "decided_at": case.decided_at.isoformat() if case.decided_at else None,
                "checks": [
                    {"name": c.name, "passed": c.passed, "code": c.code, "detail": c.detail}
                    for c in case.checks.all()
                ],
                "documents": [
                    {
                        "kind": d.kind,
                        "uploaded_at": d.uploaded_at.isoformat(),
                        "sha256": d.sha256,
                        "deleted_at": d.purged_at.isoformat() if d.purged_at else None,
                    }
                    for d in case.documents.all()
                ],
                "history": [
                    {
                        "action": e.action,
                        "from": e.from_state,
                        "to": e.to_state,
                        "at": e.created_at.isoformat(),
                    }
                    for e in case.events.all()
                ],
            }
            for case in cases
        ]
    }


def cases_holding_documents(*, user: User) -> list[Case]:
    """The person's cases that still hold a document image, oldest first, each with how
    many it holds (`documents_held`). One query."""
    return list(
        Case.objects.filter(user=user)
        .annotate(documents_held=Count("documents", filter=Q(documents__purged_at__isnull=True)))
        .filter(documents_held__gt=0)
        .order_by("created_at", "pk")
    )
