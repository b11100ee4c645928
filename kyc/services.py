"""Every change to a KYC case: one function per transition, guard -> lock -> change -> record.

The state machine (allowed source states per action) is `TRANSITIONS`; an action from any
other state raises Conflict (HTTP 409). Outcomes write a `kyc.decision` ledger leaf in the
same transaction and tell the pioneer (socket and e-mail) after commit.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from PIL import Image, ImageStat

from accounts.models import User
from accounts.services import notify_user, user_clear_verified, user_set_verified
from core.errors import Conflict, Forbidden, InvalidInput
from core.images import sanitize_image
from core.jobs import enqueue_on_commit
from kyc import checks, conf, crypto, selectors
from kyc.models import (
    Case,
    CaseEvent,
    CheckAssignment,
    CheckResult,
    Document,
    DocumentKind,
    DocumentType,
    ReasonCode,
    ReviewConflict,
    State,
    ValidatorVote,
)
from ledger.pseudonyms import pseudonym
from ledger.schemas import utc_timestamp
from ledger.services import entry_record

logger = logging.getLogger(__name__)

EDITABLE = {State.DRAFT, State.RESUBMISSION_REQUESTED}
REVIEWABLE = {State.IN_REVIEW, State.ESCALATED, State.APPEALED}
DECISIONS = {
    "approve": State.APPROVED,
    "reject": State.REJECTED,
    "request_resubmission": State.RESUBMISSION_REQUESTED,
}
TRANSITIONS: dict[str, set[str]] = {
    "submit": set(EDITABLE),
    "start_checks": {State.SUBMITTED},
    "finish_checks": {State.CHECKING},
    "claim": set(REVIEWABLE),
    "decide": set(REVIEWABLE),
    "escalate": {State.IN_REVIEW},
    "appeal": {State.REJECTED},
}
REQUIRED_DOCUMENTS = {
    DocumentType.PASSPORT: {DocumentKind.ID_FRONT, DocumentKind.SELFIE},
    DocumentType.ID_CARD: {DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.SELFIE},
    DocumentType.RESIDENCE_PERMIT: {
        DocumentKind.ID_FRONT,
        DocumentKind.ID_BACK,
        DocumentKind.SELFIE,
    },
}


def _locked(case_id: int) -> Case:
    return Case.objects.select_for_update().get(pk=case_id)


def _guard(case: Case, action: str) -> None:
    if case.state not in TRANSITIONS[action]:
        raise Conflict(f"A case in state '{case.state}' cannot be {action.replace('_', ' ')}ed.")


def _guard_reviewer(case: Case, reviewer: User) -> None:
    """Every reviewing action on a case passes here, a moderator's or a validator's: nobody
    acts on their own case or on one they have a conflict of interest with
    (`selectors.conflicts_of`). Call it with the case locked, so the check and the action
    see the same case."""
    reason = selectors.review_conflict(case=case, person=reviewer)
    if reason:
        raise Forbidden(reason)


def _locked_for_review(case_id: int, reviewer: User, action: str) -> Case:
    case = _locked(case_id)
    _guard_reviewer(case, reviewer)
    _guard(case, action)
    return case


def _move(
    case: Case,
    *,
    to: str,
    action: str,
    actor: User | None,
    reason: str = "",
    fields: Iterable[str] = (),
) -> None:
    from_state = case.state
    case.state = to
    case.save(update_fields=["state", "updated_at", *fields])
    CaseEvent.objects.create(
        case=case, actor=actor, action=action, from_state=from_state, to_state=to, reason=reason
    )


def _is_moderator(user: User) -> bool:
    return user.has_perm("accounts.review_kyc_cases")


# --- pioneer ---------------------------------------------------------------------------


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
        with transaction.atomic():
            case = Case.objects.create(user=user, **cleaned)
            CaseEvent.objects.create(case=case, actor=user, action="create", to_state=State.DRAFT)
    except IntegrityError:
        raise Conflict("You already have an open verification case.") from None
    return case


def case_update(*, case_id: int, user: User, **fields: Any) -> Case:
    with transaction.atomic():
        case = _locked(case_id)
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


def _is_blank(png: bytes) -> bool:
    with Image.open(io.BytesIO(png)) as image:
        return max(ImageStat.Stat(image.convert("L")).stddev) < 4.0


def document_upload(*, case_id: int, user: User, kind: str, upload: IO[bytes]) -> Document:
    """Validate, re-encode, encrypt and store one document image; replaces the previous one.

    The encrypted file is written before the row and deleted again if the row does not
    commit, so a failure leaves no orphaned file and no row without a file.
    """
    if kind not in DocumentKind.values:
        raise InvalidInput("Choose id_front, id_back or selfie.", field="kind")
    case = Case.objects.get(pk=case_id)
    # Checked again under the lock below; here so nobody gets an image decoded for a case
    # that is not theirs.
    if case.user_id != user.pk:
        raise Forbidden("This is not your case.")
    clean = sanitize_image(
        upload,
        field="file",
        holder=str(user.public_id),
        max_bytes=conf.max_upload_bytes(),
        max_pixels=conf.max_pixels(),
        max_side=conf.document_max_side(),
    )
    key_id, sealed = crypto.encrypt(clean.content, associated=str(case.public_id).encode())
    name = default_storage.save(f"kyc/{uuid.uuid4().hex}.bin", ContentFile(sealed))
    try:
        with transaction.atomic():
            case = _locked(case_id)
            if case.user_id != user.pk:
                raise Forbidden("This is not your case.")
            if case.state not in EDITABLE:
                raise Conflict("Documents can only be changed before the case is submitted.")
            previous = list(Document.objects.filter(case=case, kind=kind, purged_at__isnull=True))
            for old in previous:
                old.purged_at = timezone.now()
                old.save(update_fields=["purged_at"])
                old_name = old.file_name
                transaction.on_commit(partial(default_storage.delete, old_name))
            document = Document.objects.create(
                case=case,
                kind=kind,
                file_name=name,
                key_id=key_id,
                sha256=hashlib.sha256(clean.content).hexdigest(),
                content_type=clean.content_type,
                width=clean.width,
                height=clean.height,
                blank=_is_blank(clean.content),
            )
            CaseEvent.objects.create(
                case=case,
                actor=user,
                action=f"upload_{kind}",
                from_state=case.state,
                to_state=case.state,
            )
    except BaseException:
        default_storage.delete(name)
        raise
    return document


def document_read(*, document: Document, viewer: User) -> bytes:
    """Decrypt a document for someone already allowed to see it, and log the access."""
    from kyc.models import DocumentAccess

    if document.purged_at is not None:
        raise Conflict("This document was deleted.")
    with default_storage.open(document.file_name, "rb") as handle:
        sealed = handle.read()
    content = crypto.decrypt(sealed, associated=str(document.case.public_id).encode())
    DocumentAccess.objects.create(document=document, viewer=viewer)
    logger.info("kyc document viewed document=%s viewer=%s", document.pk, viewer.public_id)
    return content


def case_submit(*, case_id: int, user: User) -> Case:
    with transaction.atomic():
        case = _locked(case_id)
        if case.user_id != user.pk:
            raise Forbidden("This is not your case.")
        _guard(case, "submit")
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
        _move(
            case,
            to=State.SUBMITTED,
            action="submit",
            actor=user,
            fields=["submitted_at", "claimed_by", "claim_expires_at"],
        )
        enqueue_on_commit("kyc.tasks.run_checks", case.pk)
    return case


def case_run_checks(*, case_id: int, today: datetime.date | None = None) -> Case:
    """The automatic checks (Celery). Idempotent: a case past `submitted` is left alone."""
    today = today or timezone.now().date()
    with transaction.atomic():
        case = _locked(case_id)
        if case.state != State.SUBMITTED:
            return case
        _move(case, to=State.CHECKING, action="start_checks", actor=None)
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
                    _move(
                        other,
                        to=State.ESCALATED,
                        action="escalate",
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
        _move(
            case,
            to=target,
            action="finish_checks",
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
        with transaction.atomic():
            # A locked case is being checked right now.
            case = (
                Case.objects.select_for_update(skip_locked=True)
                .filter(pk=case_id, state=State.SUBMITTED)
                .first()
            )
            if case is None:
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


# --- moderators ------------------------------------------------------------------------


def case_claim(*, case_id: int, moderator: User) -> Case:
    """Take a case for review for KYC_CLAIM_MINUTES; an expired claim may be taken over."""
    if not _is_moderator(moderator):
        raise Forbidden("Only moderators review cases.")
    with transaction.atomic():
        case = _locked_for_review(case_id, moderator, "claim")
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


def _holds_claim(case: Case, moderator: User) -> None:
    if (
        case.claimed_by_id != moderator.pk
        or not case.claim_expires_at
        or case.claim_expires_at <= timezone.now()
    ):
        raise Conflict("Claim the case first (claims expire).")


def case_decide(
    *,
    case_id: int,
    moderator: User,
    decision: str,
    reason_codes: list[str],
    note: str = "",
    resubmission_reasons: str = "",
) -> Case:
    if not _is_moderator(moderator):
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
    with transaction.atomic():
        case = _locked_for_review(case_id, moderator, "decide")
        _holds_claim(case, moderator)
        if case.state == State.APPEALED and target == State.RESUBMISSION_REQUESTED:
            raise InvalidInput("An appeal is approved or rejected.", field="decision")
        _record_outcome(
            case,
            target=target,
            decided_by=moderator,
            reason_codes=reason_codes,
            note=note,
            resubmission_reasons=resubmission_reasons,
        )
    return case


def _record_outcome(
    case: Case,
    *,
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
    _move(
        case,
        to=target,
        action="decide",
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
    if target in {State.APPROVED, State.REJECTED}:
        # Kept for reputation: did each validator see what the final decision saw?
        ValidatorVote.objects.filter(case=case, answer=(target == State.APPROVED)).update(
            agreed_with_decision=True
        )
        ValidatorVote.objects.filter(case=case, answer=(target != State.APPROVED)).update(
            agreed_with_decision=False
        )
    entry_record(
        kind="kyc.decision",
        payload={
            "case": pseudonym("kyc.case", case.public_id),
            "outcome": str(target),
            "reason_codes": case.reason_codes,
            "decided_at": utc_timestamp(now),
        },
    )
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
    notify_user(user=user, event={"type": "kyc.decision", "outcome": case.state, "message": text})
    email = user.email
    transaction.on_commit(
        lambda: send_mail("Your identity verification", text, None, [email], fail_silently=True)
    )


def case_escalate(*, case_id: int, moderator: User, reason: str) -> Case:
    if not _is_moderator(moderator):
        raise Forbidden("Only moderators escalate cases.")
    if not reason.strip():
        raise InvalidInput("Say why the case needs escalation.", field="reason")
    with transaction.atomic():
        case = _locked_for_review(case_id, moderator, "escalate")
        _holds_claim(case, moderator)
        case.claimed_by = None
        case.claim_expires_at = None
        _move(
            case,
            to=State.ESCALATED,
            action="escalate",
            actor=moderator,
            reason=reason,
            fields=["claimed_by", "claim_expires_at"],
        )
    return case


def conflict_declare(*, case_id: int, reviewer: User, reason: str) -> ReviewConflict:
    """A moderator or validator says they cannot judge this person impartially. From now on
    none of the person's cases reach them; a claim or check they hold on it is given back."""
    if not (_is_moderator(reviewer) or reviewer.has_perm("accounts.vote_kyc_checks")):
        raise Forbidden("Only moderators and validators declare conflicts of interest.")
    if not reason.strip():
        raise InvalidInput("Say what ties you to this person.", field="reason")
    with transaction.atomic():
        case = _locked(case_id)
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


def case_appeal(*, case_id: int, user: User, reason: str) -> Case:
    if not reason.strip():
        raise InvalidInput("Explain why the decision is wrong.", field="reason")
    with transaction.atomic():
        case = _locked(case_id)
        if case.user_id != user.pk:
            raise Forbidden("This is not your case.")
        _guard(case, "appeal")
        _move(case, to=State.APPEALED, action="appeal", actor=user, reason=reason)
    return case


# --- retention -------------------------------------------------------------------------


def documents_purge(*, now: datetime.datetime | None = None) -> int:
    """Destroy document files N days after a final decision; rows, checks, hashes and
    audit events stay. Returns how many files were destroyed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.retention_days())
    due = Document.objects.filter(
        purged_at__isnull=True,
        case__state__in=[State.APPROVED, State.REJECTED],
        case__decided_at__lt=cutoff,
    ).select_related("case")
    purged = 0
    for document in due.iterator():
        with transaction.atomic():
            locked = Document.objects.select_for_update().get(pk=document.pk)
            if locked.purged_at is not None:
                continue
            locked.purged_at = now
            locked.save(update_fields=["purged_at"])
            CaseEvent.objects.create(
                case=document.case,
                actor=None,
                action=f"purge_{locked.kind}",
                from_state=document.case.state,
                to_state=document.case.state,
            )
            name = locked.file_name
            transaction.on_commit(partial(default_storage.delete, name))
        purged += 1
    return purged


def documents_erase_on_request(*, case_id: int, user: User) -> int:
    """A pioneer's erasure request: documents of a decided case are destroyed at once."""
    with transaction.atomic():
        case = _locked(case_id)
        if case.user_id != user.pk:
            raise Forbidden("This is not your case.")
        if case.state in {
            State.SUBMITTED,
            State.CHECKING,
            State.IN_REVIEW,
            State.ESCALATED,
            State.APPEALED,
        }:
            raise Conflict("Documents of a case under review cannot be erased until it is decided.")
        documents = list(
            Document.objects.select_for_update().filter(case=case, purged_at__isnull=True)
        )
        now = timezone.now()
        for document in documents:
            document.purged_at = now
            document.save(update_fields=["purged_at"])
            name = document.file_name
            transaction.on_commit(partial(default_storage.delete, name))
        CaseEvent.objects.create(
            case=case,
            actor=user,
            action="erase_documents",
            from_state=case.state,
            to_state=case.state,
        )
    return len(documents)
