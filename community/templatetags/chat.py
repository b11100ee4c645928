"""Template filters of the chat pages."""

from __future__ import annotations

from typing import Any

from django import template

from community import chat_selectors as selectors
from ledger.schemas import utc_timestamp

register = template.Library()


@register.filter
def member_name(user: Any) -> str:
    return selectors.display_name(user)


@register.filter
def utc(moment: Any) -> str:
    return utc_timestamp(moment) if moment else ""
