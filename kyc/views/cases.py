"""The pioneer's KYC page (the wizard while the case is editable, its status afterwards,
the appeal) and the document images of a case."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.mfa import second_factor_required
from core.errors import DomainError, RetryLater
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from kyc.forms import AppealForm, CaseForm
from kyc.models import Case, State
from kyc.selectors.cases import current_case, document_for_viewer
from kyc.services import cases, documents
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
