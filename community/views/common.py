"""What every workshop page shares: times are shown in the viewer's zone (a cookie the
page script sets), named, and an action on a workshop ends on the workshop's page."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render

from community.models import Workshop
from core.types import AuthenticatedHttpRequest

ZONE_COOKIE = "tz"


def viewer_zone(request: AuthenticatedHttpRequest) -> zoneinfo.ZoneInfo:
    name = request.COOKIES.get(ZONE_COOKIE, "")
    try:
        return zoneinfo.ZoneInfo(name) if name else zoneinfo.ZoneInfo("UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def render_page(
    request: AuthenticatedHttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    zone = viewer_zone(request)
    context = {**context, "zone": zone, "zone_name": zone.key}
    return render(request, f"community/{template}", context, status=status)


def redirect_to_workshop(workshop: Workshop) -> HttpResponse:
    return redirect("community:detail", public_id=workshop.public_id)
