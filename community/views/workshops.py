"""Workshop pages: the list, a workshop's page with its registration box, and the host
pages (create, edit, publish, cancel)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import selectors
from community.forms import CancelForm, WorkshopForm
from community.models import Workshop
from community.models.workshops import WorkshopStatus
from community.services import workshops
from community.views.common import redirect_to_workshop, render_page, viewer_zone
from core.errors import DomainError
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest

LIST_LIMIT = 100


# --- Everyone ---------------------------------------------------------------------------


@login_required
@require_GET
def workshop_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = request.GET.get("show", "upcoming")
    if scope not in selectors.SCOPES:
        scope = "upcoming"
    query = request.GET.get("q", "")[:100]
    found = list(
        selectors.workshop_list(user=request.user, scope=scope, query=query)[: LIST_LIMIT + 1]
    )
    context = {
        "workshops": found[:LIST_LIMIT],
        "more": len(found) > LIST_LIMIT,
        "scope": scope,
        "query": query,
        "may_host": selectors.may_host(request.user),
    }
    return render_page(request, "list.html", context)


def _panel_context(request: AuthenticatedHttpRequest, workshop: Workshop) -> dict[str, Any]:
    user = request.user
    registration = selectors.registration_for(user=user, workshop=workshop)
    state = selectors.registration_state(registration)
    manages = selectors.may_manage(user, workshop)
    now = timezone.now()
    refusal = None
    if registration is None or not registration.is_active:
        refusal = selectors.registration_refusal(user, workshop)
    return {
        "workshop": workshop,
        "registration": registration,
        "state": state,
        "manages": manages,
        "hosting": selectors.is_host(user, workshop),
        "sees_link": selectors.may_see_link(
            user=user, workshop=workshop, my_status=registration.status if registration else None
        ),
        "refusal": refusal,
        "closed_reason": _closed_reason(workshop, now),
        "started": now >= workshop.starts_at,
        "ended": now >= workshop.ends_at,
    }


def _closed_reason(workshop: Workshop, now: Any) -> str | None:
    """Why registering is not possible now, for the button's place (the service decides)."""
    if workshop.status == WorkshopStatus.DRAFT:
        return "This is a draft: publish it to open registration."
    if workshop.status == WorkshopStatus.CANCELLED:
        return "This workshop was cancelled."
    if workshop.status == WorkshopStatus.FINISHED or now >= workshop.starts_at:
        return "Registration is closed: the workshop has started."
    if workshop.registration_opens_at and now < workshop.registration_opens_at:
        return "Registration has not opened yet."
    if workshop.registration_closes_at and now >= workshop.registration_closes_at:
        return "Registration is closed."
    return None


@login_required
@require_GET
def workshop_detail(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop = selectors.workshop_for_viewer(user=request.user, public_id=public_id)
    context = _panel_context(request, workshop)
    context["hosts"] = list(workshop.hosts.all())
    context["calendar_url"] = reverse("community-api:workshop-calendar", args=[workshop.public_id])
    context["panel_url"] = reverse("community:panel", args=[workshop.public_id])
    context["workshop_zone"] = zoneinfo.ZoneInfo(workshop.timezone)
    return render_page(request, "detail.html", context)


@login_required
@require_GET
def registration_panel(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """The registration box alone: the page script swaps it in when the person's
    registration changes elsewhere (an offer arrives, the workshop is cancelled)."""
    workshop = selectors.workshop_for_viewer(user=request.user, public_id=public_id)
    return render_page(request, "_panel.html", _panel_context(request, workshop))


# --- Hosts --------------------------------------------------------------------------------


def _cohosts(form: WorkshopForm) -> list[Any]:
    return selectors.users_by_email(form.cohost_emails())


@login_required
@require_http_methods(["GET", "POST"])
def workshop_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not selectors.may_host(request.user):
        return render_page(
            request,
            "not_host.html",
            {},
            status=403,
        )
    zone = viewer_zone(request)
    form = WorkshopForm(request.POST or None, initial={"timezone": zone.key, "min_level": 1})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                workshop = workshops.workshop_create(
                    actor=request.user,
                    cohosts=_cohosts(form),
                    publish="publish" in request.POST,
                    **form.service_fields(),
                )
            except DomainError as error:
                form_error(form, error)
            else:
                published = workshop.status == WorkshopStatus.PUBLISHED
                messages.success(
                    request,
                    "Workshop published." if published else "Draft saved. Publish it when ready.",
                )
                return redirect_to_workshop(workshop)
    return render_page(request, "form.html", {"form": form, "workshop": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def workshop_edit(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop = selectors.workshop_for_manager(user=request.user, public_id=public_id)
    form = WorkshopForm(request.POST or None, initial=WorkshopForm.initial_for(workshop))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                workshops.workshop_update(
                    workshop=workshop,
                    actor=request.user,
                    cohosts=_cohosts(form),
                    **form.service_fields(),
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, "Workshop saved.")
                return redirect_to_workshop(workshop)
    return render_page(request, "form.html", {"form": form, "workshop": workshop}, status=status)


@login_required
@require_POST
def workshop_publish(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop = selectors.workshop_for_manager(user=request.user, public_id=public_id)
    workshops.workshop_publish(workshop=workshop, actor=request.user)
    messages.success(request, "Workshop published: registration is open.")
    return redirect_to_workshop(workshop)


@login_required
@require_http_methods(["GET", "POST"])
def workshop_cancel(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop = selectors.workshop_for_manager(user=request.user, public_id=public_id)
    form = CancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                workshops.workshop_cancel(
                    workshop=workshop, actor=request.user, message=form.cleaned_data["message"]
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, "Workshop cancelled; everyone registered is told.")
                return redirect_to_workshop(workshop)
    return render_page(request, "cancel.html", {"form": form, "workshop": workshop}, status=status)
