"""Community validators: redacted yes/no questions about a case, one at a time.

A validator sees only the images a question needs, watermarked with their pseudonym, and
never the typed fields (no document number, no birth date). When every question has
KYC_VALIDATOR_VOTES votes and all say yes on a case without risk flags, the case is
approved; any "no" sends it to a moderator at once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from PIL import Image, ImageDraw

from accounts.models import User
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kyc import conf
from kyc.models import QUESTION_IMAGES, Case, Document, Question, State, ValidatorVote
from ledger.pseudonyms import pseudonym


@dataclass(frozen=True)
class Check:
    case: Case
    question: str

    @property
    def id(self) -> str:
        return f"{self.case.public_id}--{self.question}"

    @property
    def text(self) -> str:
        return str(Question(self.question).label)


def _require_validator(user: User) -> None:
    if not (user.has_perm("accounts.vote_kyc_checks") and user.is_verified):
        raise Forbidden("Only verified validators answer identity checks.")


def next_check(*, validator: User) -> Check | None:
    _require_validator(validator)
    needed = conf.validator_votes()
    # People whose case this validator voted on before and that then went to a moderator
    # (a "no", a risk flag): the validator may be biased about them, so never again.
    conflicted = ValidatorVote.objects.filter(
        validator=validator, case__events__to_state=State.ESCALATED
    ).values("case__user_id")
    for question in Question.values:
        already = ValidatorVote.objects.filter(validator=validator, question=question).values(
            "case_id"
        )
        case = (
            Case.objects.filter(state=State.IN_REVIEW, risk_flags=[])
            .exclude(user=validator)
            .exclude(pk__in=already)
            .exclude(user_id__in=conflicted)
            .annotate(votes_so_far=Count("votes", filter=Q(votes__question=question)))
            .filter(votes_so_far__lt=needed)
            .order_by("submitted_at", "pk")
            .first()
        )
        if case is not None:
            return Check(case, question)
    return None


def check_for(*, validator: User, check_id: str) -> Check:
    _require_validator(validator)
    public_id, _, question = check_id.partition("--")
    if question not in Question.values:
        raise NotFound("No such check.")
    try:
        case = Case.objects.exclude(user=validator).get(public_id=public_id, state=State.IN_REVIEW)
    except (Case.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No such check.") from None
    return Check(case, question)


def check_images(check: Check) -> list[str]:
    kinds = QUESTION_IMAGES[Question(check.question)]
    present = set(
        Document.objects.filter(
            case=check.case, purged_at__isnull=True, kind__in=kinds
        ).values_list("kind", flat=True)
    )
    return [kind for kind in kinds if kind in present]


def watermark(content: bytes, *, viewer: User) -> bytes:
    """Tile the viewer's pseudonym over the image, so a leaked copy names its source."""
    mark = "validator " + pseudonym("validator", viewer.public_id)[:12]
    with Image.open(io.BytesIO(content)) as image:
        canvas = image.convert("RGBA")
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    step_x, step_y = 220, 90
    for y in range(0, canvas.size[1], step_y):
        for x in range(-(y % (2 * step_x)), canvas.size[0], step_x):
            draw.text((x, y), mark, fill=(255, 255, 255, 110))
            draw.text((x + 1, y + 1), mark, fill=(0, 0, 0, 90))
    out = io.BytesIO()
    Image.alpha_composite(canvas, overlay).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def check_vote(*, validator: User, check_id: str, answer: bool) -> ValidatorVote:
    from kyc.services import _locked, _move, _record_outcome

    check = check_for(validator=validator, check_id=check_id)
    if not isinstance(answer, bool):
        raise InvalidInput("Answer true or false.", field="answer")
    needed = conf.validator_votes()
    with transaction.atomic():
        case = _locked(check.case.pk)
        if case.state != State.IN_REVIEW:
            raise Conflict("This check is closed.")
        try:
            with transaction.atomic():
                vote = ValidatorVote.objects.create(
                    case=case, validator=validator, question=check.question, answer=answer
                )
        except IntegrityError:
            raise Conflict("You already answered this check.") from None
        votes = list(ValidatorVote.objects.filter(case=case))
        if not answer:
            _move(
                case,
                to=State.ESCALATED,
                action="escalate",
                actor=None,
                reason=f"a validator answered no: {check.question}",
            )
        elif (
            not case.risk_flags
            and all(
                sum(1 for v in votes if v.question == question) >= needed
                for question in Question.values
            )
            and all(v.answer for v in votes)
        ):
            _record_outcome(
                case,
                target=State.APPROVED,
                decided_by=None,
                reason_codes=["documents_ok"],
                note="validators agreed",
            )
    return vote
