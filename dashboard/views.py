"""The role dashboard: each person sees what matters to the roles they hold."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from accounts.hooks import reputation_level, reputation_next_step
from core.errors import DomainError
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest
from dashboard import personal_data
from dashboard.earnings import WHAT_A_POINT_IS, credits_csv, earnings_summary
from dashboard.forms import CloseAccountForm, ConfirmForm
from dashboard.standing import case_standing
from kyc.selectors.cases import latest_case
from kyc.selectors.queue import claimed_cases, oldest_waiting_since, sla_figures
from kyc.selectors.validators import validator_pending_checks, validator_record
from support import selectors as support_selectors
from tasks import selectors as task_selectors

REQUESTER_PROJECTS_SHOWN = 10


def _checklist(
    *, email_verified: bool, mfa_enabled: bool, has_profile: bool, identity: str
) -> list[dict[str, object]]:
    """The new member's steps; `identity` is done, started or todo."""
    return [
        {"title": "Verify your e-mail address", "done": email_verified, "url": "account_email"},
        {"title": "Turn on two-factor authentication", "done": mfa_enabled, "url": "mfa_index"},
        {"title": "Complete your profile", "done": has_profile, "url": "accounts:profile"},
        {
            "title": "Verify your identity",
            "done": identity == "done",
            "started": identity == "started",
            "url": "kyc:status",
        },
    ]


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = account_selectors.user_for_me(user_id=request.user.pk)
    email_verified = account_selectors.user_email_verified(user=user)
    mfa_enabled = account_selectors.user_mfa_enabled(user=user)
    case = latest_case(user=user)
    standing = case_standing(
        state=None if case is None else case.state,
        resubmission_reasons=case.resubmission_reasons if case else "",
        reason_codes=case.reason_codes if case else [],
    )
    if user.is_verified:
        standing = case_standing(state="approved")
    identity = (
        "done" if user.is_verified else "started" if case and standing.tone == "pending" else "todo"
    )
    # Staff and requesters need no identity check of their own unless they started one.
    shows_identity = user.has_perm("accounts.work_tasks") or case is not None or user.is_verified
    steps = _checklist(
        email_verified=email_verified,
        mfa_enabled=mfa_enabled,
        has_profile=bool(user.profile.display_name),
        identity=identity,
    )
    if not shows_identity:
        steps = steps[:-1]
    context: dict[str, Any] = {
        "member": user,
        "roles": account_selectors.user_role_names(user=user),
        "reputation_level": reputation_level(user),
        "reputation_next_step": reputation_next_step(user),
        "email_verified": email_verified,
        "mfa_enabled": mfa_enabled,
        "case": case,
        "standing": standing,
        "shows_identity": shows_identity,
        "steps": steps,
        "checklist_done": all(step["done"] for step in steps),
    }
    if user.has_perm("accounts.work_tasks"):
        context["work"] = task_selectors.pioneer_work_summary(user=user)
    if user.has_perm("accounts.review_kyc_cases"):
        context["sla"] = sla_figures()
        context["oldest_waiting"] = oldest_waiting_since(reviewer=user)
        context["claimed"] = claimed_cases(moderator=user)
    if user.has_perm("accounts.moderate_community"):
        context["open_messages"] = support_selectors.open_message_count(moderator=user)
    if user.has_perm("accounts.vote_kyc_checks"):
        context["validator"] = {
            "pending": validator_pending_checks(validator=user) if user.is_verified else 0,
            "record": validator_record(validator=user),
        }
    if user.has_perm("accounts.publish_projects"):
        projects = list(task_selectors.requester_progress(user=user)[:REQUESTER_PROJECTS_SHOWN])
        for project in projects:
            project.done_items = project.total_items - project.remaining_items  # type: ignore[attr-defined]
        context["projects"] = projects
    return render(request, "dashboard/home.html", context)


CREDITS_PER_PAGE = 50


@login_required
@require_GET
def earnings(request: AuthenticatedHttpRequest) -> HttpResponse:
    summary = earnings_summary(user=request.user)
    pages = Paginator(task_selectors.credits_of(user=request.user), CREDITS_PER_PAGE)
    page = pages.get_page(request.GET.get("page"))
    context = {"summary": summary, "page": page, "what_a_point_is": WHAT_A_POINT_IS}
    return render(request, "dashboard/earnings.html", context)


@login_required
@require_GET
def earnings_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        credits_csv(user=request.user), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="pioneer-credits-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    held, under_review = personal_data.erasable_document_count(user=request.user)
    context = {"documents_held": held, "under_review": under_review}
    return render(request, "dashboard/my_data.html", context)


@login_required
@require_GET
def my_data_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    body = json.dumps(personal_data.personal_data(user=request.user), indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="pioneer-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def documents_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    held, under_review = personal_data.erasable_document_count(user=request.user)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                erased = personal_data.documents_erase(user=request.user)
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                messages.success(request, f"{erased} document image{pluralize(erased)} deleted.")
                return redirect("dashboard:my-data")
    context = {"form": form, "documents_held": held, "under_review": under_review}
    return render(request, "dashboard/documents_delete.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_close(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CloseAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                personal_data.account_close(user=request.user)
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                logout(request)
                messages.success(request, "Your account is closed. Thank you for your work.")
                return redirect("accounts:home")
    return render(request, "dashboard/account_close.html", {"form": form}, status=status)
