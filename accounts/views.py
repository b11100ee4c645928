from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import ProfileForm
from accounts.hooks import reputation_level, reputation_next_step
from core.errors import DomainError, RetryLater
from core.middleware import form_error
from core.types import AuthenticatedHttpRequest


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _next_steps(
    *, email_verified: bool, mfa_enabled: bool, is_verified: bool
) -> list[dict[str, object]]:
    return [
        {"title": "Verify your e-mail address", "done": email_verified, "url": "account_email"},
        {"title": "Turn on two-factor authentication", "done": mfa_enabled, "url": "mfa_index"},
        {"title": "Complete your profile", "done": None, "url": "accounts:profile"},
        {"title": "Verify your identity", "done": is_verified, "url": "kyc:status"},
    ]


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = selectors.user_for_me(user_id=request.user.pk)
    email_verified = selectors.user_email_verified(user=user)
    mfa_enabled = selectors.user_mfa_enabled(user=user)
    context = {
        "member": user,
        "roles": selectors.user_role_names(user=user),
        "reputation_level": reputation_level(user),
        "reputation_next_step": reputation_next_step(user),
        "email_verified": email_verified,
        "mfa_enabled": mfa_enabled,
        "steps": _next_steps(
            email_verified=email_verified, mfa_enabled=mfa_enabled, is_verified=user.is_verified
        ),
    }
    return render(request, "accounts/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = selectors.user_for_me(user_id=request.user.pk).profile
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.profile_update(
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
