"""Community validators: redacted yes/no questions about a case, one at a time.

A validator is handed one question about one case at a time (`check_next` creates a
`CheckAssignment` that expires) and reaches that case's images and vote only through it.
They see a crop of each image the question needs (`kyc.redaction`), watermarked with their
pseudonym, and never the typed fields (no document number, no birth date). Cases with risk
flags and people the validator has a conflict with (`selectors.conflicts_of`) are never
handed out. Votes weigh as much as their validator's accuracy (`kyc.accuracy`): when every
question has KYC_VALIDATOR_VOTES votes and a weighted share of KYC_APPROVE_SHARE says yes
on a case without risk flags, the case is approved; a "no" that puts that share out of
reach sends it to a moderator at once. Paused validators get no checks, and the checks a
validator is offered per day grow with their accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kyc import conf, redaction
from kyc.accuracy import question_outcome, validator_accuracy
from kyc.models import (
    Case,
    CheckAssignment,
    Document,
    Question,
    State,
    ValidatorVote,
)
from kyc.selectors.conflicts import conflicts_of
from kyc.services.documents import document_read
from kyc.services.moderation import case_record_outcome, conflict_declare
from kyc.services.transitions import case_guard_reviewer, case_lock, case_move
from kyc.services.validators import validator_pause_reason
from ledger.pseudonyms import pseudonym


@dataclass(frozen=True)
class Check:
    assignment: CheckAssignment

    @property
    def id(self) -> str:
        return str(self.assignment.public_id)

    @property
    def case(self) -> Case:
        return self.assignment.case

    @property
    def question(self) -> str:
        return self.assignment.question

    @property
    def text(self) -> str:
        return str(Question(self.question).label)


def _require_validator(user: User) -> None:
    if not (user.has_perm("accounts.vote_kyc_checks") and user.is_verified):
        raise Forbidden("Only verified validators answer identity checks.")


def _closed_because(assignment: CheckAssignment) -> str | None:
    """Why an assignment no longer opens its case, or None while it does."""
    if assignment.closed_at is not None:
        answered = ValidatorVote.objects.filter(
            case_id=assignment.case_id,
            validator_id=assignment.validator_id,
            question=assignment.question,
        ).exists()
        return "You already answered this check." if answered else "This check was given back."
    if assignment.expires_at <= timezone.now():
        return "This check expired; take the next one."
    case = assignment.case
    if case.state != State.IN_REVIEW or case.risk_flags:
        return "This check is closed: the case went to a moderator."
    return None


def check_next(*, validator: User) -> Check | None:
    """The validator's open check, or a new one handed to them until it expires."""
    _require_validator(validator)
    now = timezone.now()
    needed = conf.validator_votes()
    with transaction.atomic(durable=True):
        for held in CheckAssignment.objects.select_related("case").filter(
            validator=validator, closed_at__isnull=True
        ):
            if _closed_because(held) is None:
                return Check(held)
            held.closed_at = now
            held.save(update_fields=["closed_at"])
        paused = validator_pause_reason(validator=validator)
        if paused:
            raise Forbidden("You are paused as a validator. " + paused)
        accuracy = validator_accuracy(validator=validator)
        offered = CheckAssignment.objects.filter(
            validator=validator, created_at__gte=now - timedelta(days=1)
        ).count()
        if offered >= accuracy.checks_per_day:
            raise Conflict(
                f"You have had your {accuracy.checks_per_day} checks for today; come back "
                "tomorrow. The more of your answers agree with final decisions, the more "
                "checks you are offered."
            )
        conflicted = conflicts_of(validator)
        for question in Question.values:
            # Every case this question was ever handed to them about: answered, given back
            # as "can't tell", or let expire goes to others, not back to them.
            already = CheckAssignment.objects.filter(validator=validator, question=question).values(
                "case_id"
            )
            case = (
                Case.objects.filter(state=State.IN_REVIEW, risk_flags=[])
                .exclude(conflicted)
                .exclude(pk__in=already)
                .annotate(
                    votes_so_far=Count("votes", filter=Q(votes__question=question), distinct=True),
                    # Handed to others and still open: they count, so a case is not handed
                    # to more validators than it needs.
                    handed_out=Count(
                        "check_assignments",
                        filter=Q(
                            check_assignments__question=question,
                            check_assignments__closed_at__isnull=True,
                            check_assignments__expires_at__gt=now,
                        ),
                        distinct=True,
                    ),
                )
                .alias(taken=F("votes_so_far") + F("handed_out"))
                .filter(taken__lt=needed)
                .order_by("submitted_at", "pk")
                .first()
            )
            if case is not None:
                assignment = CheckAssignment.objects.create(
                    case=case,
                    validator=validator,
                    question=question,
                    expires_at=now + timedelta(minutes=conf.check_minutes()),
                )
                return Check(assignment)
    return None


def check_for_validator(*, validator: User, check_id: str) -> Check:
    """A check handed to this validator and still open: 404 for anyone else's or an id
    never handed out, 409 once answered, given back, expired or closed."""
    _require_validator(validator)
    try:
        key = UUID(str(check_id))
    except ValueError:
        raise NotFound("No such check.") from None
    assignment = (
        CheckAssignment.objects.select_related("case")
        .filter(public_id=key, validator=validator)
        .first()
    )
    if assignment is None:
        raise NotFound("No such check.")
    reason = _closed_because(assignment)
    if reason:
        raise Conflict(reason)
    case_guard_reviewer(case=assignment.case, reviewer=validator)
    return Check(assignment)


def check_image_kinds(*, check: Check) -> list[str]:
    """The document images the check's question needs and the case still has."""
    kinds = list(redaction.CROPS[check.question])
    present = set(
        Document.objects.filter(
            case=check.case, purged_at__isnull=True, kind__in=kinds
        ).values_list("kind", flat=True)
    )
    return [kind for kind in kinds if kind in present]


def check_image_read(*, validator: User, check_id: str, kind: str) -> bytes:
    """The crop of one image a check needs, watermarked with the validator's pseudonym; the
    access is logged like any view of a document. A check that is closed, or whose case the
    validator may no longer see, shows no image: 404, as for an id never handed out."""
    try:
        check = check_for_validator(validator=validator, check_id=check_id)
    except (Conflict, Forbidden):
        raise NotFound("No such image.") from None
    crop = redaction.CROPS[check.question].get(kind)
    document = (
        Document.objects.select_related("case")
        .filter(case=check.case, kind=kind, purged_at__isnull=True)
        .first()
        if crop
        else None
    )
    if crop is None or document is None:
        raise NotFound("No such image.")
    mark = "validator " + pseudonym("validator", validator.public_id)[:12]
    return redaction.redact(document_read(document=document, viewer=validator), crop, mark=mark)


def _require_holder(check: Check, validator: User) -> None:
    _require_validator(validator)
    if check.assignment.validator_id != validator.pk:
        raise NotFound("No such check.")


def check_give_back(*, check: Check, validator: User, reason: str) -> None:
    """The validator knows the person: a conflict is recorded and the check given back."""
    _require_holder(check, validator)
    conflict_declare(case=check.case, reviewer=validator, reason=reason)


def check_cannot_tell(*, check: Check, validator: User) -> None:
    """The validator cannot tell from what they see: the check goes back for another
    validator, no vote is counted, and this question about this case does not come back
    to them."""
    _require_holder(check, validator)
    with transaction.atomic(durable=True):
        assignment = CheckAssignment.objects.select_for_update().get(pk=check.assignment.pk)
        reason = _closed_because(assignment)
        if reason:
            raise Conflict(reason)
        assignment.closed_at = timezone.now()
        assignment.save(update_fields=["closed_at"])


def checks_offered_today(*, validator: User) -> tuple[int, int]:
    """How many checks the validator was handed in the last day, and how many they may be."""
    offered = CheckAssignment.objects.filter(
        validator=validator, created_at__gte=timezone.now() - timedelta(days=1)
    ).count()
    return offered, validator_accuracy(validator=validator).checks_per_day


def check_vote(*, check: Check, validator: User, answer: bool) -> ValidatorVote:
    _require_holder(check, validator)
    if not isinstance(answer, bool):
        raise InvalidInput("Answer true or false.", field="answer")
    needed = conf.validator_votes()
    with transaction.atomic(durable=True):
        case = case_lock(case=check.case)
        assignment = CheckAssignment.objects.select_for_update().get(pk=check.assignment.pk)
        assignment.case = case
        reason = _closed_because(assignment)
        if reason:
            raise Conflict(reason)
        case_guard_reviewer(case=case, reviewer=validator)
        try:
            with transaction.atomic():
                vote = ValidatorVote.objects.create(
                    case=case,
                    validator=validator,
                    question=check.question,
                    answer=answer,
                    weight=validator_accuracy(validator=validator).weight,
                )
        except IntegrityError:
            raise Conflict("You already answered this check.") from None
        assignment.closed_at = timezone.now()
        assignment.save(update_fields=["closed_at"])
        votes = list(ValidatorVote.objects.filter(case=case))
        outcomes = [
            question_outcome(
                [(v.answer, v.weight) for v in votes if v.question == question],
                needed,
                conf.approve_share(),
            )
            for question in Question.values
        ]
        if False in outcomes:
            # Only a "no" can take a question out of reach, so this vote was one.
            case_move(
                case=case,
                action="escalate",
                to=State.ESCALATED,
                actor=None,
                reason=f"a validator answered no: {check.question}",
            )
        elif not case.risk_flags and all(outcome is True for outcome in outcomes):
            case_record_outcome(
                case=case,
                target=State.APPROVED,
                decided_by=None,
                reason_codes=["documents_ok"],
                note="validators agreed",
            )
    return vote
