from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors
from accounts.forms import ProfileForm
from accounts.models import Notification
from accounts.notification_kinds import KINDS
from accounts.services.notifications import notification_settings_update, notifications_mark_read
from accounts.services.profiles import profile_update
from core.errors import DomainError, InvalidInput, RetryLater
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = selectors.user_for_me(user_id=request.user.pk).profile
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                profile_update(
                    user=request.user,
                    display_name=form.cleaned_data["display_name"],
                    country=form.cleaned_data["country"],
                    languages=form.cleaned_data["languages"],
                    avatar=form.cleaned_data["avatar"],
                )
            except DomainError as error:
                form_error(form, error)
                if isinstance(error, RetryLater):
                    response = render(
                        request,
                        "accounts/profile.html",
                        {"form": form, "profile": current},
                        status=error.status_code,
                    )
                    response["Retry-After"] = str(error.retry_after)
                    return response
            else:
                messages.success(request, "Profile saved.")
                return redirect("accounts:profile")
        status = 400
    else:
        form = ProfileForm(
            initial={
                "display_name": current.display_name,
                "country": current.country.code if current.country else "",
                "languages": current.languages,
            }
        )
        status = 200
    return render(
        request, "accounts/profile.html", {"form": form, "profile": current}, status=status
    )


NOTIFICATIONS_PAGE = 50


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@login_required
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's notifications, newest first, a page at a time (`?before=<id>` for
    older ones), with the form that says which kinds are e-mailed."""
    rows = selectors.notifications_for(user=request.user)
    before = _uuid(request.GET.get("before"))
    if before is not None:
        anchor = rows.filter(public_id=before).values_list("pk", flat=True).first()
        if anchor is not None:
            rows = rows.filter(pk__lt=anchor)
    page: list[Notification] = list(rows[: NOTIFICATIONS_PAGE + 1])
    context = {
        "notifications": page[:NOTIFICATIONS_PAGE],
        "older": page[NOTIFICATIONS_PAGE - 1].public_id if len(page) > NOTIFICATIONS_PAGE else None,
        "kinds": selectors.notification_settings(user=request.user),
        "retention_days": settings.NOTIFICATIONS_READ_RETENTION_DAYS,
    }
    return render(request, "accounts/notifications.html", context)


@login_required
@require_POST
def notifications_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them read, then back to the list."""
    if request.POST.get("all"):
        notifications_mark_read(user=request.user)
        messages.success(request, "All notifications marked read.")
    else:
        chosen = _uuid(request.POST.get("id"))
        if chosen is None:
            messages.error(request, "That is not one of your notifications.")
            return redirect("accounts:notifications")
        notifications_mark_read(user=request.user, public_ids=[chosen])
        messages.success(request, "Marked read.")
    return redirect("accounts:notifications")


@login_required
@require_POST
def notification_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save which kinds are e-mailed: every e-mailable kind is ticked or not."""
    ticked = set(request.POST.getlist("email"))
    email = {kind.key: kind.key in ticked for kind in KINDS.values() if kind.emailable}
    unknown = ticked - set(email)
    try:
        if unknown:
            raise InvalidInput("Some of those kinds cannot be e-mailed.", field="email")
        notification_settings_update(user=request.user, email=email)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("accounts:notifications")
    messages.success(request, "Notification settings saved.")
    return redirect(reverse("accounts:notifications") + "#settings")
