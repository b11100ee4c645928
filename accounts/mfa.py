"""Staff who can open identity documents work only in a session that passed a second factor.

The rule is keyed on permissions, not on role names: whoever may review KYC cases or view
document images (moderators, and superusers, who hold every permission) must have an
activated TOTP authenticator and must have used it, or one of its recovery codes, in the
current session. allauth records every authentication step in the session (password, MFA,
reauthentication); a session opened with a password alone, or before the authenticator
existed, has no MFA record and is sent to confirm with a code.

One check, three doors: `SecondFactorForReviewers` for DRF views, `second_factor_required`
for pages, and the admin site (`accounts.admin_site`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from rest_framework import permissions

from accounts import statements
from accounts.models import User

# Holding any of these opens other people's identity documents.
DOCUMENT_PERMISSIONS = ("accounts.review_kyc_cases", "kyc.view_kyc_documents")
# A recovery code stands in for the phone: allauth issues them with the TOTP authenticator.
SECOND_FACTOR_TYPES = {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


class Missing(enum.Enum):
    SETUP = "setup"  # no activated TOTP authenticator
    CONFIRM = "confirm"  # an authenticator, but this session did not use it


def opens_documents(user: Any) -> bool:
    return bool(user.is_authenticated and any(user.has_perm(p) for p in DOCUMENT_PERMISSIONS))


def session_used_second_factor(*, user: User, session: SessionBase) -> bool:
    # allauth reads the records off `request.session`; API token clients carry their
    # session on `request.auth` instead, so hand it the session either way.
    records = get_authentication_records(SimpleNamespace(session=session), user)  # type: ignore[arg-type]
    return any(
        record.get("method") == "mfa" and record.get("type") in SECOND_FACTOR_TYPES
        for record in records
    )


def has_totp(user: User) -> bool:
    return statements.has_totp(user_id=user.pk)


def second_factor_missing(*, user: Any, session: SessionBase) -> Missing | None:
    """What keeps this person from identity documents, or None when nothing does."""
    if not opens_documents(user):
        return None
    if not has_totp(user):
        return Missing.SETUP
    if not session_used_second_factor(user=user, session=session):
        return Missing.CONFIRM
    return None


API_DETAIL = {
    Missing.SETUP: (
        "Identity documents need two-factor authentication: activate an authenticator app "
        "(TOTP) for this account, then sign in again with its code."
    ),
    Missing.CONFIRM: (
        "Identity documents need two-factor authentication in this session: sign in with "
        "your authenticator code, or reauthenticate with it."
    ),
}


class SecondFactorForReviewers(permissions.BasePermission):
    """403 with a `detail` saying what to do, for document holders without MFA."""

    message = API_DETAIL[Missing.CONFIRM]

    def has_permission(self, request: Any, view: Any) -> bool:
        # Header-token clients (allauth headless "app") carry their session as `auth`.
        session = request.auth if isinstance(request.auth, SessionBase) else request.session
        missing = second_factor_missing(user=request.user, session=session)
        if missing is None:
            return True
        self.message = API_DETAIL[missing]
        return False


def second_factor_page(request: HttpRequest, missing: Missing) -> HttpResponse:
    """403 page that sends the person to set up an authenticator or to confirm with it."""
    back = urlencode({"next": request.get_full_path()})
    return render(
        request,
        "accounts/second_factor_required.html",
        {
            "missing": missing.value,
            "activate_url": reverse("mfa_activate_totp"),
            "confirm_url": f"{reverse('mfa_reauthenticate')}?{back}",
        },
        status=403,
    )


def second_factor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Page decorator: document holders without MFA get `second_factor_page` instead."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        missing = second_factor_missing(user=request.user, session=request.session)
        if missing is not None:
            return second_factor_page(request, missing)
        return view(request, *args, **kwargs)

    return guarded
