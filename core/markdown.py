"""Markdown written by people, rendered to HTML that is safe to show to others.

The same rendering as task projects' instructions: Markdown with the `extra` and
`sane_lists` extensions, then nh3, which strips scripts, event handlers, styles and unknown
tags and marks links noopener.
"""

from __future__ import annotations

import markdown  # type: ignore[import-untyped]
import nh3


def render_markdown(text: str) -> str:
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(html)
