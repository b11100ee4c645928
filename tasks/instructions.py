"""Requesters' Markdown instructions to HTML that is safe to show to pioneers.

nh3 strips scripts, event handlers, styles and unknown tags, and marks links noopener.
Images stay only when they come from our own origin: a remote `<img src>` would make every
pioneer who opens the project fetch it, handing the requester (or whoever hosts the image)
their IP addresses and the times they worked. The `img` is kept without its `src`, so its
alt text still says what was meant.
"""

from __future__ import annotations

import markdown  # type: ignore[import-untyped]
import nh3

from core.origins import is_same_origin_url


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_same_origin_url(value):
        return None
    return value


def render_instructions(text: str) -> str:
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(html, attribute_filter=_keep_attribute)
