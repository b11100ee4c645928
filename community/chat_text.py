"""What a chat message may say and how it is shown: a small Markdown subset, sanitised, and
the @mentions in it. No Django import: tested with tables.

The subset is what people type in a chat: emphasis, inline code and code blocks, links,
lists and quotes. Headings, tables, images and raw HTML are not part of it; images in
particular would let a message load a tracking pixel in every reader's browser.
"""

from __future__ import annotations

import re

import markdown  # type: ignore[import-untyped]
import nh3

MAX_LENGTH = 2000
MAX_MENTIONS = 10

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}

# A mention is "@" and a display name without spaces, not glued to a word before it (so an
# e-mail address is not a mention).
_MENTION = re.compile(r"(?<![\w@])@([\w.-]{2,60})")


def clean_body(text: str) -> str:
    """The text as stored: surrounding blank space trimmed, line endings unified."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def body_problem(text: str) -> str | None:
    """Why `text` (already cleaned) cannot be posted, or None."""
    if not text:
        return "Write something first."
    if len(text) > MAX_LENGTH:
        return f"Messages are limited to {MAX_LENGTH} characters ({len(text)} given)."
    if "\x00" in text:
        return "Messages cannot contain NUL characters."
    return None


def render(text: str) -> str:
    """The message as safe HTML, in the subset above. Tags outside it are dropped and their
    text kept: a heading reads as a line of text."""
    html = markdown.markdown(text, extensions=["fenced_code", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        clean_content_tags={"script", "style"},
    ).strip()


def mentioned_names(text: str) -> list[str]:
    """The names mentioned, lower-cased, first mention first, at most MAX_MENTIONS."""
    names: list[str] = []
    for match in _MENTION.finditer(text):
        name = match[1].rstrip(".-").lower()
        if len(name) >= 2 and name not in names:
            names.append(name)
        if len(names) == MAX_MENTIONS:
            break
    return names
