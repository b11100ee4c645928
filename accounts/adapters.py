from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.ratelimits import RATE_LIMIT_ERROR_CODES, too_many_requests
from accounts.roles import Role
from accounts.services.users import user_grant_role


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        return bool(getattr(settings, "SIGNUP_OPEN", True))

    def save_user(self, request: Any, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Everyone who signs up is a pioneer; the other roles are granted by staff.
            user_grant_role(user=user, role=Role.PIONEER)
        return user

    def pre_authenticate(self, request: Any, **credentials: Any) -> None:
        # Remembered so a refusal can say when this login's own limit frees up.
        self._login_failed_key = self._get_login_attempts_cache_key(request, **credentials)
        super().pre_authenticate(request, **credentials)

    def validation_error(self, code: str, *args: Any) -> ValidationError:
        """A met rate limit is not a wrong input: answer 429 with `Retry-After`, not a form
        error. allauth raises what this returns, so raising here takes over; its
        middleware turns the exception into the response, for pages and headless alike."""
        if code in RATE_LIMIT_ERROR_CODES:
            key = getattr(self, "_login_failed_key", None)
            raise ImmediateHttpResponse(
                too_many_requests(context.request, action="login_failed", key=key)
            )
        return super().validation_error(code, *args)


def user_display(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.email
