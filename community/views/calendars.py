"""The calendar feed page: a person's secret subscription URL, reset or revoked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from community import selectors
from community.api import feed_url
from community.services import calendars
from community.views.common import render_page
from core.types import AuthenticatedHttpRequest


@login_required
@require_GET
def calendar_feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_page(
        request,
        "calendar.html",
        {"has_feed": selectors.has_calendar_feed(user=request.user), "url": None},
    )


@login_required
@require_POST
def calendar_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new URL is shown on this response only: it is not stored anywhere readable."""
    token = calendars.calendar_token_reset(user=request.user)
    return render_page(
        request, "calendar.html", {"has_feed": True, "url": feed_url(request, token)}
    )


@login_required
@require_POST
def calendar_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    calendars.calendar_token_revoke(user=request.user)
    messages.success(request, "Your calendar address no longer works.")
    return redirect("community:calendar")
