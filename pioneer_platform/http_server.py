"""daphne, the ASGI server `make run` starts, adjusted for request bodies.

Twisted receives a request's whole body before daphne calls the application, and for a
multipart form it then parses that body again, in memory, with the `email` package, only to
fill an argument dict daphne never reads: one 100 MB upload took the server from 0.14 to
1.37 GB, and a multipart body it cannot parse (no boundary) was answered with an empty 400
before the application saw it. Here that parse is switched off (Django parses what a view
asks for, within its caps), and a declared Content-Length over `core.bodies.body_limit`
is answered 413 as soon as the headers are in, before any of the body is received.

`install()` runs when `pioneer_platform.asgi` is imported, which daphne does before it
starts listening; under another ASGI server it changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from core.bodies import body_limit, too_large_detail


def install() -> None:
    # Imported here: only a process that runs daphne needs daphne (and Twisted) loaded.
    try:
        from daphne import http_protocol
    except ImportError:
        return
    if getattr(http_protocol.WebRequest, "pioneer_adjusted", False):
        return

    class WebRequest(http_protocol.WebRequest):  # type: ignore[misc]
        pioneer_adjusted = True
        refused = False

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["parsePOSTFormSubmission"] = False
            super().__init__(*args, **kwargs)

        def gotLength(self, length: int | None) -> None:
            content_type = (self.requestHeaders.getRawHeaders(b"content-type") or [b""])[0]
            limit = body_limit(content_type.decode("latin-1"))
            if length is None or length <= limit:
                super().gotLength(length)
                return
            self.refused = True
            body = json.dumps({"detail": too_large_detail(limit)}).encode()
            self.channel.transport.write(
                b"HTTP/1.1 413 Content Too Large\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: %d\r\n"
                b"Connection: close\r\n\r\n%s" % (len(body), body)
            )
            self.channel.loseConnection()

        def handleContentChunk(self, data: bytes) -> None:
            # What arrived with the headers, before the connection stopped reading.
            if not self.refused:
                super().handleContentChunk(data)

        def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
            if not self.refused:
                super().requestReceived(command, path, version)

    # daphne's factory looks the request class up here for every new connection.
    http_protocol.WebRequest = WebRequest
