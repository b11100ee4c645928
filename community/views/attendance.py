"""The host's attendance pages: the attendee list, and check-in at the door (one mark per
person: attended, no-show, or unmarked again)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from community import selectors
from community.models.workshops import Attendance, RegistrationStatus
from community.services import attendance
from community.views.common import render_page
from core.types import AuthenticatedHttpRequest


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
    return render_page(request, "attendees.html", context)


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
    return render_page(request, template, context)


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
        return render_page(request, "_checkin_row.html", context)
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
