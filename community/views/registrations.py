"""The one-click registration actions on a workshop's page: register, leave, accept or
decline an offered seat."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from community import selectors
from community.models.workshops import RegistrationStatus
from community.services import registrations
from community.views.common import redirect_to_workshop
from core.types import AuthenticatedHttpRequest


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
    return redirect_to_workshop(workshop)


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
    return redirect_to_workshop(workshop)


@login_required
@require_POST
def offer_accept(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop, registration = _mine(request, public_id)
    if registration is not None:
        registrations.offer_accept(registration=registration, user=request.user)
        messages.success(request, "The seat is yours. See you there.")
    return redirect_to_workshop(workshop)


@login_required
@require_POST
def offer_decline(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    workshop, registration = _mine(request, public_id)
    if registration is not None:
        registrations.offer_decline(registration=registration, user=request.user)
        messages.info(request, "You declined the seat; it goes to the next person.")
    return redirect_to_workshop(workshop)
