from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """For views behind login_required: `request.user` is a real User there."""

    user: User  # type: ignore[assignment]
