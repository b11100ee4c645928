"""daphne, the ASGI server `make run` starts, adjusted for request bodies.

Twisted receives a request's whole body before daphne calls the application, and for a
multipart form it then parses that body again, in memory, with the `email` package, only to
fill an argument dict daphne never reads: one 100 MB upload took the server from 0.14 to
1.37 GB, and a multipart body it cannot parse (no boundary) was answered with an empty 400
before the application saw it. Here that parse is switched off (Django parses what a view
asks for, within its caps), and a declared Content-Length over `core.bodies.body_limit`
is answered 413 as soon as the headers are in, before any of the body is received.

autobahn, daphne's WebSocket library, colours the arguments of its debug log lines with
click (when installed) on every frame it sends, whether or not debug logging is on: four
terminal-styled strings per frame, a tenth of a chat fan-out's cost. `install()` turns
that colouring off; log lines read the same without it.

And a WebSocket frame is written to its socket at once when nothing of that connection is
waiting to be written. Twisted's transports always buffer a write and send it when the
event loop next finds the socket writable: two `epoll_ctl` calls and a loop turn per frame,
which made a room's fan-out cost about 95 µs of server CPU per socket where it now costs
about 50 (`bench/chat_fanout_bench.py`). What the kernel does not take, and everything
written after it, still goes through Twisted's buffer, so frames keep their order
(`tests/integration/test_chat_slow_reader.py`); TLS connections are left to Twisted.

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

    from autobahn import util as autobahn_util

    autobahn_util._HAS_CLICK = False

    from daphne import ws_protocol
    from twisted.internet import tcp

    class WebSocketProtocol(ws_protocol.WebSocketProtocol):  # type: ignore[misc]
        # autobahn's one way to the transport (every frame, handshake and close).
        def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
            transport = self.transport
            if (
                not (sync or chopsize or self.send_queue)
                and isinstance(transport, tcp.Connection)
                and not transport.TLS
                and transport.connected
                and not (transport.disconnecting or transport._writeDisconnected)
                and not transport._tempDataBuffer
                and len(transport.dataBuffer) == transport.offset
            ):
                try:
                    sent = transport.socket.send(data)
                except OSError:
                    # Full, or broken: Twisted's own write finds out which and handles it.
                    sent = 0
                if sent == len(data):
                    return
                data = data[sent:]
            super().sendData(data, sync, chopsize)

    ws_protocol.WebSocketFactory.protocol = WebSocketProtocol
