"""Template filters of the chat pages, and the tag other pages use to link to a room.

`chat_room_url` is how the task pages link to a project's room: tasks sits beside
community in the layers and may not import it, and a project's room (and who reads it) is
community's to know. A template tag keeps that knowledge here, loaded by name from the
templates, so no tasks module imports community and no tasks view grows a chat field."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from community import chat_selectors as selectors
from ledger.schemas import utc_timestamp

register = template.Library()


@register.filter
def member_name(user: Any) -> str:
    return selectors.display_name(user)


@register.filter
def utc(moment: Any) -> str:
    return utc_timestamp(moment) if moment else ""


@register.simple_tag
def chat_room_url(user: Any, *, project: Any = None, workshop: Any = None) -> str:
    """`/chat/<slug>/` of the project's or workshop's room if `user` may read it, else "".
    One query: for one page's subject, never inside a loop over a list."""
    slug = selectors.readable_room_slug(user=user, project=project, workshop=workshop)
    return reverse("chat:room", args=[slug]) if slug else ""
