"""What every page's header needs: the bell's unread count, for signed-in people only."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.http import HttpRequest

from accounts import selectors


def notifications(request: HttpRequest) -> dict[str, Callable[[], int] | None]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": None}
    # Called by the template only where the header is drawn, and then answered from the
    # cache while the person's notifications did not change (see the selector): no query
    # on pages (and API responses) that never render it, none on most that do.
    return {"unread_notifications": partial(selectors.notifications_unread_count, user=user)}
