"""WebSocket handshakes must come from one of the site's own origins.

A socket authenticates with the session cookie, which the browser attaches whatever page
opens it, so the Origin header is what stands between a visitor's session and any other
site. Channels' `AllowedHostsOriginValidator` compares only the host name with
ALLOWED_HOSTS: `http://localhost:9999` (another program on the same machine) or the plain
`http` twin of an `https` site passed. Here the whole origin, scheme + host + port, must be
one of:

- the origin the request itself was made to (its Host header, which must pass
  ALLOWED_HOSTS, with the scheme the connection arrived over; SECURE_PROXY_SSL_HEADER is
  honoured as Django honours it for `request.is_secure()`);
- SITE_URL;
- an entry of CSRF_TRUSTED_ORIGINS, wildcards (`https://*.example.com`) matched as Django's
  CSRF check matches them, so forms and sockets trust the same origins.

A handshake without an Origin header is refused: every browser sends one, and a client
that does not is not a browser page that needs the cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from core.origins import normalize_origin, site_origins


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return bytes(value).decode("latin-1")
            except UnicodeDecodeError:
                return None
    return None


def _is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") in {"wss", "https"}:
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        # "HTTP_X_FORWARDED_PROTO" is the META spelling of the x-forwarded-proto header.
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        value = _header(scope, header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return False


def _request_origin(scope: dict[str, Any]) -> str | None:
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed):
        return None
    return normalize_origin(f"{'https' if _is_secure(scope) else 'http'}://{host}")


def origin_allowed(scope: dict[str, Any]) -> bool:
    raw = _header(scope, b"origin")
    origin = normalize_origin(raw) if raw else None
    if origin is None:
        return False
    if origin == _request_origin(scope) or origin in site_origins():
        return True
    scheme, _, netloc = origin.partition("://")
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in trusted:
            parts = urlsplit(trusted)
            if parts.scheme == scheme and is_same_domain(netloc, parts.netloc.lstrip("*")):
                return True
    return False


class SameOriginValidator:
    """ASGI middleware: deny a WebSocket handshake whose Origin is not one of ours."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards WebSocket connections only")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
