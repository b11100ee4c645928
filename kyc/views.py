"""KYC pages. A domain error a service raises here becomes the error page with its status
(`core.middleware.DomainErrorMiddleware`); a page that re-renders a form shows it beside
the field instead (`form_error`)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import TIME_STRINGS, timesince
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import second_factor_required
from core.errors import DomainError, InvalidInput, RetryLater
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from kyc.checks import in_words
from kyc.forms import AppealForm, CaseForm, DecisionForm
from kyc.models import Case, DocumentType, State
from kyc.selectors.cases import case_for_reviewer, case_history, current_case, document_for_viewer
from kyc.selectors.queue import (
    MY_DECISIONS_SHOWN,
    decisions_by,
    next_case_for,
    queue_rows,
    sla_figures,
)
from kyc.serializers import QueueQuerySerializer
from kyc.services import cases, documents, moderation, validation
from kyc.services.transitions import EDITABLE


@login_required
@second_factor_required
@require_GET
def document_image(request: AuthenticatedHttpRequest, public_id: str, kind: str) -> HttpResponse:
    """The only way to see a document: its owner, or a moderator without a conflict of
    interest with the case; logged, never cached."""
    document = document_for_viewer(user=request.user, public_id=public_id, kind=kind)
    content = documents.document_read(document=document, viewer=request.user)
    response = HttpResponse(content, content_type=document.content_type)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@second_factor_required
@require_http_methods(["GET", "POST"])
def status(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The pioneer's page: the wizard while the case is editable, its status afterwards."""
    case = current_case(user=request.user)
    editable = case is None or case.state in EDITABLE
    form = None
    appeal_form = None
    http_status = 200
    retry_after: int | None = None
    photo_warnings: dict[str, list[str]] = {}
    if editable:
        initial = {name: getattr(case, name) for name in CASE_FIELDS} if case else {}
        form = CaseForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                case, photo_warnings = _save_and_submit(request, case, form.cleaned_data)
            except DomainError as error:
                form_error(form, error)
                http_status = 400
                if isinstance(error, RetryLater):
                    http_status, retry_after = error.status_code, error.retry_after
            else:
                if not photo_warnings:
                    messages.success(
                        request, "Submitted. Automatic checks run now; a moderator reviews next."
                    )
                    return redirect("kyc:status")
                # Saved, not submitted: the person sees what is wrong with the photos now,
                # not days later from a moderator, and replaces them or confirms.
                for field, warnings in photo_warnings.items():
                    for warning in warnings:
                        form.add_error(field, warning)
        elif request.method == "POST":
            http_status = 400
    elif case is not None and case.state == State.REJECTED:
        appeal_form = AppealForm(request.POST or None)
        if request.method == "POST" and appeal_form.is_valid():
            try:
                cases.case_appeal(
                    case=case, user=request.user, reason=appeal_form.cleaned_data["reason"]
                )
            except DomainError as error:
                form_error(appeal_form, error)
                http_status = 400
            else:
                messages.success(
                    request, "Appeal sent. A different moderator will look at your case."
                )
                return redirect("kyc:status")
    context = {
        "case": case,
        "form": form,
        "appeal_form": appeal_form,
        "photo_warnings": photo_warnings,
        "documents": {doc.kind: doc for doc in case.documents.all() if doc.purged_at is None}
        if case
        else {},
    }
    response = render(request, "kyc/status.html", context, status=http_status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


CASE_FIELDS = (
    "document_type",
    "surname",
    "given_names",
    "birth_date",
    "nationality",
    "issuing_state",
    "document_number",
    "expiry_date",
    "mrz",
)


def _save_and_submit(
    request: AuthenticatedHttpRequest, case: Case | None, data: dict[str, Any]
) -> tuple[Case, dict[str, list[str]]]:
    """Save the case and its new photos, and submit it unless a new photo looks unreadable
    and the person has not said to submit anyway: then the photo warnings, per field."""
    fields = {name: data[name] for name in CASE_FIELDS}
    if case is None:
        case = cases.case_create(user=request.user, **fields)
    else:
        case = cases.case_update(case=case, user=request.user, **fields)
    warnings: dict[str, list[str]] = {}
    for kind in ("id_front", "id_back", "selfie"):
        if data.get(kind):
            document = documents.document_upload(
                case=case, user=request.user, kind=kind, upload=data[kind]
            )
            if document.warnings:  # type: ignore[attr-defined]
                warnings[kind] = document.warnings  # type: ignore[attr-defined]
    if warnings and not data.get("accept_photos"):
        return case, warnings
    return cases.case_submit(case=case, user=request.user), {}


def _moderator(request: AuthenticatedHttpRequest) -> None:
    if not moderation.is_moderator(request.user):
        raise PermissionDenied


class _RememberedPlurals:
    """One of timesince's unit strings, translated once per count: a page of waits asks
    for the same few ("3 days", "4 hours") over and over, and resolving the lazy
    translation each time cost more than the rest of a row."""

    def __init__(self, lazy: Any) -> None:
        self.lazy = lazy
        self.seen: dict[int, str] = {}

    def __mod__(self, values: dict[str, int]) -> str:
        count = values["num"]
        if count not in self.seen:
            self.seen[count] = str(self.lazy % values)
        return self.seen[count]


_STATE_LABELS = dict(State.choices)
_DOCUMENT_LABELS = dict(DocumentType.choices)
# Any id: the case URL is resolved once per page with it and the real ids put in its place.
_ANY_ID = "00000000-0000-0000-0000-000000000000"


@login_required
@second_factor_required
@require_GET
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    _moderator(request)
    filters = QueueQuerySerializer(data=request.GET)
    rows = queue_rows(
        reviewer=request.user, **(filters.validated_data if filters.is_valid() else {})
    )[:100]
    # Rows are laid out here, from the shown columns only, rather than in the template from
    # model instances: resolving a URL and formatting a wait per row was most of the page.
    now = timezone.now()
    units = {name: _RememberedPlurals(lazy) for name, lazy in TIME_STRINGS.items()}
    case_url = reverse("kyc:review-case", args=[_ANY_ID])
    cases = [
        {
            "waited": (
                timesince(row["submitted_at"], now, time_strings=units)  # type: ignore[arg-type]
                if row["submitted_at"]
                else ""
            ),
            "state": _STATE_LABELS.get(row["state"], row["state"]),
            "claimed": row["claimed_by_id"] is not None,
            "document_type": _DOCUMENT_LABELS.get(row["document_type"], row["document_type"]),
            "issuing_state": row["issuing_state"],
            "risk_flags": row["risk_flags"],
            "url": case_url.replace(_ANY_ID, str(row["public_id"])),
        }
        for row in rows
    ]
    context = {
        "cases": cases,
        "sla": sla_figures(reuse_decision_figures=True),
        "filters": request.GET,
        "states": ["in_review", "escalated", "appealed"],
    }
    return render(request, "kyc/queue.html", context)


def _case_to_review(request: AuthenticatedHttpRequest, public_id: str) -> Case:
    """The case a moderator acts on: 404 for an unknown id, 403 for their own case or one
    they have a conflict of interest with."""
    _moderator(request)
    return case_for_reviewer(user=request.user, public_id=public_id)


def _review_page(
    request: AuthenticatedHttpRequest,
    case: Case,
    form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "case": case,
        "checks": [
            {
                "passed": result.passed,
                "words": in_words(result.name, result.code),
                **{"detail": result.detail, "code": result.code},
            }
            for result in case.checks.all()
        ],
        "form": form or DecisionForm(),
        "history": case_history(case=case),
        "documents": [doc for doc in case.documents.all() if doc.purged_at is None],
        "claimed_by_me": case.claimed_by_id == request.user.pk,
    }
    return render(request, "kyc/review_case.html", context, status=status)


@login_required
@second_factor_required
@require_GET
def review_case(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """Opening a case takes it (so a decision needs no separate claim step), unless another
    moderator holds it or it is not waiting for a decision; then the page only shows it."""
    case = _case_to_review(request, public_id)
    now = timezone.now()
    held_by_me = (
        case.claimed_by_id == request.user.pk
        and case.claim_expires_at is not None
        and case.claim_expires_at > now
    )
    if not held_by_me:
        with contextlib.suppress(DomainError):
            case = moderation.case_claim(case=case, moderator=request.user)
    return _review_page(request, case)


@login_required
@second_factor_required
@require_POST
def review_claim(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    case = _case_to_review(request, public_id)
    moderation.case_claim(case=case, moderator=request.user)
    messages.success(request, "Claimed: the case is yours for the next minutes.")
    return redirect("kyc:review-case", public_id=case.public_id)


@login_required
@second_factor_required
@require_POST
def review_decide(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    case = _case_to_review(request, public_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _review_page(request, case, form, status=400)
    try:
        moderation.case_decide(case=case, moderator=request.user, **form.cleaned_data)
    except InvalidInput as error:
        form_error(form, error)
        return _review_page(request, case, form, status=error.status_code)
    following = next_case_for(reviewer=request.user)
    if following is None:
        messages.success(request, "Decision recorded. The queue is empty for now.")
        return redirect("kyc:review-queue")
    messages.success(request, "Decision recorded. Here is the next case.")
    return redirect("kyc:review-case", public_id=following)


@login_required
@second_factor_required
@require_POST
def review_unclaim(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    case = _case_to_review(request, public_id)
    moderation.case_unclaim(case=case, moderator=request.user)
    messages.success(request, "Given back: the case is in the queue for anyone.")
    return redirect("kyc:review-queue")


@login_required
@second_factor_required
@require_GET
def review_my_decisions(request: AuthenticatedHttpRequest) -> HttpResponse:
    _moderator(request)
    decisions = [
        {
            "at": event.created_at,
            "outcome": _STATE_LABELS.get(event.to_state, event.to_state),
            "reasons": event.reason.replace(",", ", "),
            "now": _STATE_LABELS.get(event.case.state, event.case.state),
            "case": event.case.public_id,
        }
        for event in decisions_by(reviewer=request.user)[:MY_DECISIONS_SHOWN]
    ]
    return render(
        request,
        "kyc/my_decisions.html",
        {"decisions": decisions, "shown": MY_DECISIONS_SHOWN},
    )


@login_required
@second_factor_required
@require_POST
def review_escalate(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    case = _case_to_review(request, public_id)
    moderation.case_escalate(
        case=case, moderator=request.user, reason=request.POST.get("reason", "")
    )
    messages.success(request, "Escalated.")
    return redirect("kyc:review-case", public_id=case.public_id)


@login_required
@second_factor_required
@require_POST
def review_declare_conflict(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    case = _case_to_review(request, public_id)
    moderation.conflict_declare(
        case=case, reviewer=request.user, reason=request.POST.get("reason", "")
    )
    messages.success(request, "Noted: this person's cases will not reach you.")
    return redirect("kyc:review-queue")


@login_required
@second_factor_required
@require_GET
def check_image(request: AuthenticatedHttpRequest, check_id: str, kind: str) -> HttpResponse:
    """The crop of an image a validator's check needs, watermarked with their pseudonym;
    logged. Only through a check handed to them that is still open."""
    content = validation.check_image_read(validator=request.user, check_id=check_id, kind=kind)
    response = HttpResponse(content, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@second_factor_required
@require_http_methods(["GET", "POST"])
def validator_checks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One redacted question at a time for validators; answering loads the next at once."""
    if not (request.user.has_perm("accounts.vote_kyc_checks") and request.user.is_verified):
        raise PermissionDenied
    if request.method == "POST":
        answer = request.POST.get("answer")
        # A check can close between showing and answering (it expired, the case went to a
        # moderator): say so and show the next one, which is what the validator wants.
        try:
            if answer not in {"yes", "no", "cannot_tell", "conflict"}:
                raise InvalidInput("Answer yes, no or can't tell.", field="answer")
            check = validation.check_for_validator(
                validator=request.user, check_id=request.POST.get("check", "")
            )
            if answer == "cannot_tell":
                validation.check_cannot_tell(check=check, validator=request.user)
                messages.success(request, "Fine: another validator will look at this one.")
            elif answer == "conflict":
                validation.check_give_back(
                    check=check, validator=request.user, reason="knows the person"
                )
                messages.success(request, "Noted: this person's checks will not reach you.")
            else:
                validation.check_vote(check=check, validator=request.user, answer=answer == "yes")
                messages.success(request, "Thanks, your answer counts.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("kyc:validator-checks")
    handed = validation.check_next(validator=request.user)
    images = [
        {"kind": kind, "caption": _IMAGE_CAPTIONS.get(kind, kind)}
        for kind in (validation.check_image_kinds(check=handed) if handed else [])
    ]
    offered, per_day = validation.checks_offered_today(validator=request.user)
    context = {"check": handed, "images": images, "offered": offered, "per_day": per_day}
    return render(request, "kyc/validator_check.html", context)


# What each image of a check is, said under it (the crop shows only part of it).
_IMAGE_CAPTIONS = {
    "id_front": "The identity document's front (only the part this question needs)",
    "id_back": "The identity document's back (only the part this question needs)",
    "selfie": "The selfie the person took",
}
