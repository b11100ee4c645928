"""The moderators' pages: the queue, a case under review (claim, decide, give back,
escalate, declare a conflict) and their own past decisions."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.mfa import second_factor_required
from core.errors import DomainError, InvalidInput
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from kyc.checks import in_words
from kyc.forms import DecisionForm
from kyc.models import Case, DocumentType, State
from kyc.selectors.cases import case_for_reviewer, case_history
from kyc.selectors.queue import (
    MY_DECISIONS_SHOWN,
    decisions_by,
    next_case_for,
    queue_page,
    sla_figures,
)
from kyc.serializers import QueueQuerySerializer
from kyc.services import moderation
from kyc.waits import WaitsInWords


def _moderator(request: AuthenticatedHttpRequest) -> None:
    if not moderation.is_moderator(request.user):
        raise PermissionDenied


# How many of the waiting cases the queue page lists, oldest first.
QUEUE_PAGE_ROWS = 100
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
    rows = queue_page(
        reviewer=request.user,
        limit=QUEUE_PAGE_ROWS,
        **(filters.validated_data if filters.is_valid() else {}),
    )
    # Rows are laid out here, from the shown columns only, rather than in the template from
    # model instances: resolving a URL and formatting a wait per row was most of the page.
    waited = WaitsInWords(timezone.now())
    case_url = reverse("kyc:review-case", args=[_ANY_ID])
    cases = [
        {
            "waited": waited(row["submitted_at"]) if row["submitted_at"] else "",
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
