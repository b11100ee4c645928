"""The pioneer's case: open and edit a draft, submit it (with its `documents`), the
automatic checks that follow, and an appeal against a rejection.

The checks run as a Celery job enqueued by name after the submission commits; a periodic
sweep sends it again for cases it never reached.
"""

from __future__ import annotations

import datetime
import logging
import unicodedata
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict, Forbidden, InvalidInput
from core.jobs import enqueue_on_commit
from kyc import checks, conf
from kyc.models import (
    Case,
    CaseEvent,
    CheckResult,
    Document,
    DocumentKind,
    DocumentType,
    State,
)
from kyc.services.transitions import EDITABLE, case_guard, case_lock, case_move

logger = logging.getLogger(__name__)

REQUIRED_DOCUMENTS = {
    DocumentType.PASSPORT: {DocumentKind.ID_FRONT, DocumentKind.SELFIE},
    DocumentType.ID_CARD: {DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.SELFIE},
    DocumentType.RESIDENCE_PERMIT: {
        DocumentKind.ID_FRONT,
        DocumentKind.ID_BACK,
        DocumentKind.SELFIE,
    },
}


# Characters that change how a name is shown without being seen (direction overrides and
# isolates U+202A-U+202E and U+2066-U+2069, zero-width spaces, joiners and marks
# U+200B-U+200F, the byte order mark), control characters, line and paragraph separators,
# and lone surrogates: a name holding one can read differently on the moderator's screen
# than it is stored.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
MAX_AGE_YEARS = 130
# Identity documents are issued for at most about ten years, a few for twenty.
MAX_VALIDITY_YEARS = 30


def _has_hidden_characters(text: str, allowed: str = "") -> bool:
    return any(
        unicodedata.category(char) in HIDDEN_CATEGORIES and char not in allowed for char in text
    )


def _years_from(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _check_dates(cleaned: dict[str, Any], current: Case | None) -> None:
    today = timezone.now().date()
    typed: datetime.date | None = cleaned.get("birth_date")
    if typed is not None:
        if typed >= today:
            raise InvalidInput("The birth date must be in the past.", field="birth_date")
        if typed < _years_from(today, -MAX_AGE_YEARS):
            raise InvalidInput(
                f"The birth date is more than {MAX_AGE_YEARS} years ago; check the year.",
                field="birth_date",
            )
    typed_expiry: datetime.date | None = cleaned.get("expiry_date")
    if typed_expiry is not None and typed_expiry > _years_from(today, MAX_VALIDITY_YEARS):
        raise InvalidInput(
            f"No identity document is valid for more than {MAX_VALIDITY_YEARS} years; "
            "check the year.",
            field="expiry_date",
        )
    # An edit may change either date; the pair must still make sense.
    birth = typed or (current.birth_date if current else None)
    expiry = typed_expiry or (current.expiry_date if current else None)
    if birth is not None and expiry is not None and expiry <= birth:
        raise InvalidInput(
            "The expiry date must be after the birth date.",
            field="expiry_date" if typed_expiry is not None else "birth_date",
        )


def _clean_fields(fields: dict[str, Any], current: Case | None = None) -> dict[str, Any]:
    cleaned = dict(fields)
    for name in ("surname", "given_names", "document_number", "mrz"):
        if name in cleaned and cleaned[name] is not None:
            cleaned[name] = str(cleaned[name]).strip()
            # The machine-readable zone is typed as lines; nothing else may hide in it.
            if _has_hidden_characters(cleaned[name], allowed="\r\n" if name == "mrz" else ""):
                raise InvalidInput(
                    "Remove the invisible or control characters (such as text direction "
                    "marks) from this field.",
                    field=name,
                )
    for name in ("nationality", "issuing_state"):
        if name in cleaned:
            value = str(cleaned[name]).strip().upper()
            if not (1 <= len(value) <= 3 and value.isalpha()):
                raise InvalidInput("Use the 3-letter ICAO country code, e.g. KEN.", field=name)
            cleaned[name] = value
    if "document_type" in cleaned and cleaned["document_type"] not in DocumentType.values:
        raise InvalidInput("Unknown document type.", field="document_type")
    _check_dates(cleaned, current)
    return cleaned


def case_create(*, user: User, **fields: Any) -> Case:
    """Open a draft. A pioneer has at most one open case (a constraint, so a race cannot
    create two)."""
    if user.is_verified:
        raise Conflict("You are already verified.")
    cleaned = _clean_fields(fields)
    try:
        with transaction.atomic(durable=True):
            case = Case.objects.create(user=user, **cleaned)
            CaseEvent.objects.create(case=case, actor=user, action="create", to_state=State.DRAFT)
    except IntegrityError:
        raise Conflict("You already have an open verification case.") from None
    return case


def case_update(*, case: Case, user: User, **fields: Any) -> Case:
    with transaction.atomic(durable=True):
        case = case_lock(case=case)
        if case.user_id != user.pk:
            raise Forbidden("This is not your case.")
        if case.state not in EDITABLE:
            raise Conflict("The case can only be edited before it is submitted.")
        cleaned = _clean_fields(fields, current=case)
        for name, value in cleaned.items():
            setattr(case, name, value)
        case.save(update_fields=[*cleaned, "updated_at"])
        CaseEvent.objects.create(
            case=case, actor=user, action="edit", from_state=case.state, to_state=case.state
        )
    return case


def case_submit(*, case: Case, user: User) -> Case:
    with transaction.atomic(durable=True):
        case = case_lock(case=case)
        if case.user_id != user.pk:
            raise Forbidden("This is not your case.")
        case_guard(case=case, action="submit")
        present = set(
            Document.objects.filter(case=case, purged_at__isnull=True).values_list(
                "kind", flat=True
            )
        )
        required = {str(kind) for kind in REQUIRED_DOCUMENTS[DocumentType(case.document_type)]}
        missing = sorted(required - present)
        if missing:
            raise InvalidInput(f"Upload these first: {', '.join(missing)}.", field="documents")
        case.submitted_at = timezone.now()
        case.claimed_by = None
        case.claim_expires_at = None
        case_move(
            case=case,
            action="submit",
            to=State.SUBMITTED,
            actor=user,
            fields=["submitted_at", "claimed_by", "claim_expires_at"],
        )
        enqueue_on_commit("kyc.tasks.run_checks", case.pk)
    return case


def case_run_checks(*, case: Case, today: datetime.date | None = None) -> Case:
    """The automatic checks, run by a job after the submission commits. Idempotent: a case
    past `submitted` is left alone, so a job delivered twice runs once."""
    today = today or timezone.now().date()
    with transaction.atomic(durable=True):
        case = case_lock(case=case)
        if case.state != State.SUBMITTED:
            return case
        case_move(case=case, action="start_checks", to=State.CHECKING, actor=None)
        facts = checks.CaseFacts(
            document_type=case.document_type,
            surname=case.surname,
            given_names=case.given_names,
            birth_date=case.birth_date,
            nationality=case.nationality,
            issuing_state=case.issuing_state,
            document_number=case.document_number,
            expiry_date=case.expiry_date,
            mrz=case.mrz,
        )
        findings = [
            checks.check_expiry(facts, today),
            checks.check_age(facts, today, conf.min_age()),
            *checks.check_mrz(facts, today),
            *(
                checks.check_image_quality(doc.kind, doc.width, doc.height, doc.blank)
                for doc in Document.objects.filter(case=case, purged_at__isnull=True)
            ),
        ]
        case.identity_hash = checks.identity_hash(
            key=conf.identity_key(),
            document_number=case.document_number,
            issuing_state=case.issuing_state,
            birth_date=case.birth_date,
        )
        duplicates = list(
            Case.objects.select_for_update()
            .filter(identity_hash=case.identity_hash)
            .exclude(user_id=case.user_id)
            .exclude(state__in=[State.REJECTED])
        )
        if duplicates:
            findings.append(
                checks.Finding(
                    "one_identity",
                    False,
                    "duplicate_identity",
                    "the identity is used by another account",
                )
            )
            for other in duplicates:
                if "duplicate_identity" not in other.risk_flags:
                    other.risk_flags = [*other.risk_flags, "duplicate_identity"]
                    other.save(update_fields=["risk_flags", "updated_at"])
                if other.state == State.IN_REVIEW:
                    case_move(
                        case=other,
                        action="escalate",
                        to=State.ESCALATED,
                        actor=None,
                        reason="duplicate identity",
                    )
        else:
            findings.append(checks.Finding("one_identity", True, "identity_unique"))
        for finding in findings:
            CheckResult.objects.update_or_create(
                case=case,
                name=finding.name,
                defaults={"passed": finding.passed, "code": finding.code, "detail": finding.detail},
            )
        case.risk_flags = sorted({f.code for f in findings if not f.passed})
        target = State.ESCALATED if "duplicate_identity" in case.risk_flags else State.IN_REVIEW
        case_move(
            case=case,
            action="finish_checks",
            to=target,
            actor=None,
            fields=["risk_flags", "identity_hash"],
        )
    return case


def cases_requeue_stuck_checks(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Send the checks again for cases still `submitted` past the deadline (periodic sweep).

    Their job was lost: the broker was down when the case was submitted, or a worker died
    holding the message, which the broker returns only after its visibility timeout. Each
    resend is recorded and the deadline counts from the latest send, so a case waiting
    behind a long queue gets one more message per deadline, not one per sweep. A second
    delivery is harmless: `case_run_checks` starts only from `submitted`, under the row lock.
    A case already sent `JOBS_MAX_RESENDS` times is not sent again: the job fails on it, so
    it is escalated with the flag `checks_failed` for a moderator to check by hand.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.JOBS_DEADLINE_SECONDS)
    cutoff = timezone.now() - older_than
    last_sent = (
        CaseEvent.objects.filter(case=OuterRef("pk"), action__in=["submit", "requeue_checks"])
        .order_by("-pk")
        .values("created_at")[:1]
    )
    stuck = list(
        Case.objects.filter(state=State.SUBMITTED, submitted_at__lt=cutoff)
        .annotate(last_sent=Subquery(last_sent))
        .filter(last_sent__lt=cutoff)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )
    requeued = 0
    for case_id in stuck:
        with transaction.atomic(durable=True):
            # A locked case is being checked right now.
            case = (
                Case.objects.select_for_update(skip_locked=True)
                .filter(pk=case_id, state=State.SUBMITTED)
                .first()
            )
            if case is None:
                continue
            resends = CaseEvent.objects.filter(case=case, action="requeue_checks").count()
            if resends >= settings.JOBS_MAX_RESENDS:
                case.risk_flags = sorted({*case.risk_flags, "checks_failed"})
                case_move(
                    case=case,
                    action="checks_failed",
                    to=State.ESCALATED,
                    actor=None,
                    reason=f"the automatic checks did not finish after {resends + 1} sends",
                    fields=["risk_flags"],
                )
                logger.warning("kyc checks given up case=%s sends=%s", case.pk, resends + 1)
                continue
            CaseEvent.objects.create(
                case=case,
                actor=None,
                action="requeue_checks",
                from_state=case.state,
                to_state=case.state,
            )
            enqueue_on_commit("kyc.tasks.run_checks", case.pk)
        requeued += 1
    return requeued


def case_appeal(*, case: Case, user: User, reason: str) -> Case:
    if not reason.strip():
        raise InvalidInput("Explain why the decision is wrong.", field="reason")
    with transaction.atomic(durable=True):
        case = case_lock(case=case)
        if case.user_id != user.pk:
            raise Forbidden("This is not your case.")
        case_guard(case=case, action="appeal")
        case_move(case=case, action="appeal", to=State.APPEALED, actor=user, reason=reason)
    return case
