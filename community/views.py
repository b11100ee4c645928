"""Workshop pages: the list, a workshop's page with its one-click actions, and the host
pages (create, edit, cancel, attendees, check-in).

One view per action. Domain errors reach `core.middleware.DomainErrorMiddleware` (the
error page with their status), except on forms, where `form_error` puts them beside their
field. Times are shown in the viewer's zone (a cookie the page script sets), named.
"""

from __future__ import annotations

import zoneinfo
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import selectors
from community.api import feed_url
from community.forms import CancelForm, WorkshopForm
from community.models import Workshop
from community.models.workshops import Attendance, RegistrationStatus, WorkshopStatus
from community.services import attendance, calendars, registrations, workshops
from core.errors import DomainError
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest

ZONE_COOKIE = "tz"
LIST_LIMIT = 100


def viewer_zone(request: AuthenticatedHttpRequest) -> zoneinfo.ZoneInfo:
    name = request.COOKIES.get(ZONE_COOKIE, "")
    try:
        return zoneinfo.ZoneInfo(name) if name else zoneinfo.ZoneInfo("UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _page(
    request: AuthenticatedHttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    zone = viewer_zone(request)
    context = {**context, "zone": zone, "zone_name": zone.key}
    return render(request, f"community/{template}", context, status=status)


def _detail(workshop: Workshop) -> HttpResponse:
    return redirect("community:detail", public_id=workshop.public_id)


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
    return _page(request, "list.html", context)


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
    return _page(request, "detail.html", context)


@login_required
@require_GET
def registration_panel(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """The registration box alone: the page script swaps it in when the person's
    registration changes elsewhere (an offer arrives, the workshop is cancelled)."""
    workshop = selectors.workshop_for_viewer(user=request.user, public_id=public_id)
    return _page(request, "_panel.html", _panel_context(request, workshop))


@login_required
@require_POST
def register(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop = selectors.workshop_for_viewer(user=request.user, public_id=public_id)
    result = registrations.registration_create(workshop=workshop, user=request.user)
    registration = result.registration
    if not result.created:
        messages.info(request, "You were already registered.")
    elif registration.status == RegistrationStatus.CONFIRMED:
        messages.success(request, "You have a seat. See you there.")
    else:
        position = selectors.waitlist_position(registration)
        messages.info(request, f"The workshop is full: you are number {position} on the waitlist.")
    return _detail(workshop)


def _mine(request: AuthenticatedHttpRequest, public_id: str) -> Any:
    workshop = selectors.workshop_for_viewer(user=request.user, public_id=public_id)
    registration = selectors.registration_for(user=request.user, workshop=workshop)
    if registration is None:
        messages.error(request, "You are not registered for this workshop.")
    return workshop, registration


@login_required
@require_POST
def leave(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop, registration = _mine(request, public_id)
    if registration is not None:
        registrations.registration_cancel(registration=registration, user=request.user)
        messages.success(request, "You left the workshop.")
    return _detail(workshop)


@login_required
@require_POST
def offer_accept(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop, registration = _mine(request, public_id)
    if registration is not None:
        registrations.offer_accept(registration=registration, user=request.user)
        messages.success(request, "The seat is yours. See you there.")
    return _detail(workshop)


@login_required
@require_POST
def offer_decline(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop, registration = _mine(request, public_id)
    if registration is not None:
        registrations.offer_decline(registration=registration, user=request.user)
        messages.info(request, "You declined the seat; it goes to the next person.")
    return _detail(workshop)


# --- Calendar feed --------------------------------------------------------------------------


@login_required
@require_GET
def calendar_feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(
        request,
        "calendar.html",
        {"has_feed": selectors.has_calendar_feed(user=request.user), "url": None},
    )


@login_required
@require_POST
def calendar_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new URL is shown on this response only: it is not stored anywhere readable."""
    token = calendars.calendar_token_reset(user=request.user)
    return _page(request, "calendar.html", {"has_feed": True, "url": feed_url(request, token)})


@login_required
@require_POST
def calendar_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    calendars.calendar_token_revoke(user=request.user)
    messages.success(request, "Your calendar address no longer works.")
    return redirect("community:calendar")


# --- Hosts --------------------------------------------------------------------------------


def _cohosts(form: WorkshopForm) -> list[Any]:
    return selectors.users_by_email(form.cohost_emails())


@login_required
@require_http_methods(["GET", "POST"])
def workshop_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not selectors.may_host(request.user):
        return _page(
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
                return _detail(workshop)
    return _page(request, "form.html", {"form": form, "workshop": None}, status=status)


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
                return _detail(workshop)
    return _page(request, "form.html", {"form": form, "workshop": workshop}, status=status)


@login_required
@require_POST
def workshop_publish(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop = selectors.workshop_for_manager(user=request.user, public_id=public_id)
    workshops.workshop_publish(workshop=workshop, actor=request.user)
    messages.success(request, "Workshop published: registration is open.")
    return _detail(workshop)


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
                return _detail(workshop)
    return _page(request, "cancel.html", {"form": form, "workshop": workshop}, status=status)


@login_required
@require_GET
def attendees(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop = selectors.workshop_for_manager(user=request.user, public_id=public_id)
    rows = list(selectors.attendees(workshop=workshop))
    context = {
        "workshop": workshop,
        "confirmed": [row for row in rows if row.status == RegistrationStatus.CONFIRMED],
        "offered": [row for row in rows if row.status == RegistrationStatus.OFFERED],
        "waiting": [row for row in rows if row.status == RegistrationStatus.WAITLISTED],
    }
    return _page(request, "attendees.html", context)


@login_required
@require_GET
def check_in(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """The door: confirmed people, a search, one button per mark. htmx swaps the list as
    the host types and a row after each mark; without JavaScript the forms post."""
    workshop = selectors.workshop_for_manager(user=request.user, public_id=public_id)
    query = request.GET.get("q", "")[:100]
    rows = list(selectors.attendees(workshop=workshop, query=query, confirmed_only=True))
    context = {
        "workshop": workshop,
        "rows": rows,
        "query": query,
        "attended": sum(row.attendance == Attendance.ATTENDED for row in rows),
    }
    template = "_checkin_rows.html" if getattr(request, "htmx", False) else "checkin.html"
    return _page(request, template, context)


def _mark(
    request: AuthenticatedHttpRequest, public_id: str, registration_id: str, mark: str
) -> HttpResponse:
    workshop = selectors.workshop_for_manager(user=request.user, public_id=public_id)
    registration = selectors.registration_of(workshop=workshop, public_id=registration_id)
    attendance.attendance_mark(registration=registration, actor=request.user, attendance=mark)
    query = request.POST.get("q", "")[:100]
    if getattr(request, "htmx", False):
        # The row, and the count above the list (out of band), as the host sees them.
        rows = list(selectors.attendees(workshop=workshop, query=query, confirmed_only=True))
        row = next((row for row in rows if row.pk == registration.pk), None)
        if row is None:  # the search changed since the row was shown
            row = selectors.attendees(workshop=workshop, confirmed_only=True).get(
                pk=registration.pk
            )
        context = {
            "workshop": workshop,
            "row": row,
            "query": query,
            "oob": True,
            "total": len(rows),
            "attended": sum(row.attendance == Attendance.ATTENDED for row in rows),
        }
        return _page(request, "_checkin_row.html", context)
    url = reverse("community:checkin", args=[workshop.public_id])
    return redirect(f"{url}?{urlencode({'q': query})}" if query else url)


@login_required
@require_POST
def mark_attended(
    request: AuthenticatedHttpRequest, public_id: str, registration_id: str
) -> HttpResponse:
    return _mark(request, public_id, registration_id, Attendance.ATTENDED)


@login_required
@require_POST
def mark_no_show(
    request: AuthenticatedHttpRequest, public_id: str, registration_id: str
) -> HttpResponse:
    return _mark(request, public_id, registration_id, Attendance.NO_SHOW)


@login_required
@require_POST
def mark_unmarked(
    request: AuthenticatedHttpRequest, public_id: str, registration_id: str
) -> HttpResponse:
    return _mark(request, public_id, registration_id, Attendance.UNMARKED)
