from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.mfa import second_factor_required
from core.errors import DomainError, Forbidden, RetryLater
from core.types import AuthenticatedHttpRequest
from kyc import selectors, services, validation
from kyc.forms import AppealForm, CaseForm, DecisionForm
from kyc.models import Case, State
from kyc.serializers import QueueQuerySerializer


@login_required
@second_factor_required
@require_GET
def document_image(request: AuthenticatedHttpRequest, public_id: str, kind: str) -> HttpResponse:
    """The only way to see a document: its owner, or a moderator without a conflict of
    interest with the case; logged, never cached."""
    try:
        document = selectors.document_for_viewer(user=request.user, public_id=public_id, kind=kind)
        content = services.document_read(document=document, viewer=request.user)
    except DomainError as error:
        raise Http404(error.message) from None
    response = HttpResponse(content, content_type=document.content_type)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline"
    return response


def _form_errors(form: Any, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@login_required
@second_factor_required
@require_http_methods(["GET", "POST"])
def status(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The pioneer's page: the wizard while the case is editable, its status afterwards."""
    case = selectors.current_case(user=request.user)
    editable = case is None or case.state in services.EDITABLE
    form = None
    appeal_form = None
    http_status = 200
    retry_after: int | None = None
    if editable:
        initial = {name: getattr(case, name) for name in CASE_FIELDS} if case else {}
        form = CaseForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                case = _save_and_submit(request, case, form.cleaned_data)
            except DomainError as error:
                _form_errors(form, error)
                http_status = 400
                if isinstance(error, RetryLater):
                    http_status, retry_after = error.status_code, error.retry_after
            else:
                messages.success(
                    request, "Submitted. Automatic checks run now; a moderator reviews next."
                )
                return redirect("kyc-status")
        elif request.method == "POST":
            http_status = 400
    elif case is not None and case.state == State.REJECTED:
        appeal_form = AppealForm(request.POST or None)
        if request.method == "POST" and appeal_form.is_valid():
            try:
                services.case_appeal(
                    case_id=case.pk, user=request.user, reason=appeal_form.cleaned_data["reason"]
                )
            except DomainError as error:
                appeal_form.add_error(None, error.message)
                http_status = 400
            else:
                messages.success(
                    request, "Appeal sent. A different moderator will look at your case."
                )
                return redirect("kyc-status")
    context = {
        "case": case,
        "form": form,
        "appeal_form": appeal_form,
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
) -> Case:
    fields = {name: data[name] for name in CASE_FIELDS}
    if case is None:
        case = services.case_create(user=request.user, **fields)
    else:
        services.case_update(case_id=case.pk, user=request.user, **fields)
    for kind in ("id_front", "id_back", "selfie"):
        if data.get(kind):
            services.document_upload(
                case_id=case.pk, user=request.user, kind=kind, upload=data[kind]
            )
    return services.case_submit(case_id=case.pk, user=request.user)


def _moderator(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_perm("accounts.review_kyc_cases"):
        raise PermissionDenied


@login_required
@second_factor_required
@require_GET
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    _moderator(request)
    filters = QueueQuerySerializer(data=request.GET)
    cases = selectors.queue(
        reviewer=request.user, **(filters.validated_data if filters.is_valid() else {})
    )
    context = {
        "cases": cases[:100],
        "sla": selectors.sla_figures(),
        "filters": request.GET,
        "states": ["in_review", "escalated", "appealed"],
    }
    return render(request, "kyc/queue.html", context)


def _case_to_review(request: AuthenticatedHttpRequest, public_id: str) -> Case:
    try:
        return selectors.case_for_reviewer(user=request.user, public_id=public_id)
    except Forbidden as error:
        raise PermissionDenied(error.message) from None
    except DomainError:
        raise Http404 from None


@login_required
@second_factor_required
@require_http_methods(["GET", "POST"])
def review_case(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    _moderator(request)
    case = _case_to_review(request, public_id)
    form = (
        DecisionForm(request.POST or None)
        if request.POST.get("action") == "decide"
        else DecisionForm()
    )
    http_status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "claim":
                services.case_claim(case_id=case.pk, moderator=request.user)
                messages.success(request, "Claimed: the case is yours for the next minutes.")
            elif action == "escalate":
                services.case_escalate(
                    case_id=case.pk, moderator=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(request, "Escalated.")
            elif action == "decide" and form.is_valid():
                services.case_decide(case_id=case.pk, moderator=request.user, **form.cleaned_data)
                messages.success(request, "Decision recorded.")
                return redirect("kyc-review-queue")
            elif action == "declare_conflict":
                services.conflict_declare(
                    case_id=case.pk, reviewer=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(request, "Noted: this person's cases will not reach you.")
                return redirect("kyc-review-queue")
            else:
                http_status = 400
        except DomainError as error:
            messages.error(request, error.message)
            http_status = error.status_code
        if http_status == 200:
            return redirect("kyc-review-case", public_id=case.public_id)
        case = _case_to_review(request, public_id)
    context = {
        "case": case,
        "form": form,
        "history": selectors.case_history(case=case),
        "documents": [doc for doc in case.documents.all() if doc.purged_at is None],
        "claimed_by_me": case.claimed_by_id == request.user.pk,
    }
    return render(request, "kyc/review_case.html", context, status=http_status)


@login_required
@second_factor_required
@require_GET
def check_image(request: AuthenticatedHttpRequest, check_id: str, kind: str) -> HttpResponse:
    """The crop of an image a validator's check needs, watermarked with their pseudonym;
    logged. Only through a check handed to them that is still open."""
    try:
        content = validation.check_image(validator=request.user, check_id=check_id, kind=kind)
    except DomainError as error:
        raise Http404(error.message) from None
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
        check_id = request.POST.get("check", "")
        try:
            if answer == "conflict":
                validation.check_give_back(
                    validator=request.user, check_id=check_id, reason="knows the person"
                )
                messages.success(request, "Noted: this person's checks will not reach you.")
            elif answer in {"yes", "no"}:
                validation.check_vote(
                    validator=request.user, check_id=check_id, answer=answer == "yes"
                )
                messages.success(request, "Thanks, your answer counts.")
            else:
                raise DomainError("Answer yes or no.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("kyc-validator-checks")
    check = validation.next_check(validator=request.user)
    images = validation.check_images(check) if check else []
    return render(request, "kyc/validator_check.html", {"check": check, "images": images})
