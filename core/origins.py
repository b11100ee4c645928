"""The site's own origins, in the one spelling browsers use (`scheme://host[:port]`).

Shared by the WebSocket origin check, the Content-Security-Policy's socket sources and the
instructions sanitiser, so all three agree on what "ours" means.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}
# What the URL parser of a browser drops before it reads a URL: ASCII tab and newlines
# anywhere, C0 controls and spaces at either end.
_DROPPED = re.compile(r"[\t\n\r]")
_EDGES = "".join(chr(code) for code in range(0x21))


def normalize_origin(value: str) -> str | None:
    """`scheme://host[:port]` as browsers serialise it (lower case, default port left out),
    or None for anything that is not an http(s) origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def site_origins() -> set[str]:
    """SITE_URL and the exact (not wildcard) entries of CSRF_TRUSTED_ORIGINS."""
    candidates = [settings.SITE_URL, *(o for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o)]
    return {origin for origin in map(normalize_origin, candidates) if origin}


def is_same_origin_url(url: str) -> bool:
    """Whether a browser would fetch `url`, written in one of our pages, from our own origin:
    a relative URL (not scheme-relative), or an absolute one on a site origin."""
    cleaned = _DROPPED.sub("", url).strip(_EDGES)
    # Browsers read a backslash as a slash in http(s) URLs: `/\\evil.example` is
    # scheme-relative to them, whatever urlsplit makes of it.
    if "\\" in cleaned:
        return False
    parts = urlsplit(cleaned)
    if not parts.scheme and not parts.netloc:
        return not cleaned.startswith("//")
    origin = normalize_origin(f"{parts.scheme}://{parts.netloc}")
    return origin is not None and origin in site_origins()
