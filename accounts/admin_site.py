"""The admin signs staff in where everyone signs in: allauth's login, with its second-factor
stage and its rate limits. Django's own admin form checks a password and nothing else, so
it never authenticates anyone here; it only forwards to allauth with `next`.

The admin app's config (`accounts.admin_config`) names this site by its dotted path, so
this module is imported once the models are loaded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import mfa


class PioneerAdminSite(admin.AdminSite):
    site_header = "Pioneer Platform administration"
    site_title = "Pioneer Platform admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and self._second_factor_missing(request) is None

    def _second_factor_missing(self, request: HttpRequest) -> Any:
        missing = mfa.second_factor_missing(user=request.user, session=request.session)
        if missing is not None:
            return missing
        # Staff who turned MFA on get nothing from a session that skipped it.
        if is_mfa_enabled(request.user) and not mfa.session_used_second_factor(
            user=request.user,  # type: ignore[arg-type]
            session=request.session,
        ):
            return mfa.Missing.CONFIRM
        return None

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            login_url = reverse("account_login")
            return HttpResponseRedirect(f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
        if self.has_permission(request):
            return HttpResponseRedirect(next_url)
        missing = self._second_factor_missing(request) if request.user.is_staff else None
        if missing is not None:
            return mfa.second_factor_page(request, missing)
        # Signed in but not staff: sending them to the login form again would loop.
        raise PermissionDenied
