"""The body limit inside daphne, where it has to be: Twisted reads the whole body before the application runs.

Daphne's request class spools every body (to a temporary file past 100 KB) and only then calls the ASGI
application, so an ASGI middleware would see a 200 MB upload after it was written to disk. This subclass
checks the limit when the headers arrive (`gotLength`) and while the body streams in (`handleContentChunk`):
over it, the client gets a 413 at once and the connection is closed; nothing is kept.

`install()` swaps it in for daphne's own class; `soundboard.asgi` calls it, so `daphne soundboard.asgi:…`
stays the command that starts the web process.
"""

from __future__ import annotations

import io
from typing import Any

from daphne import http_protocol

from edge.limits import body_limit, too_large_body


class LimitedWebRequest(http_protocol.WebRequest):  # type: ignore[misc]  # daphne ships no types: its base is Any
    _refused = False
    _limit = 0
    _seen = 0

    def _headers(self) -> list[tuple[bytes, bytes]]:
        return [(name.lower(), value) for name, values in self.requestHeaders.getAllRawHeaders() for value in values]

    def gotLength(self, length: int | None) -> None:
        self._limit = body_limit(self._headers())
        if length is not None and length > self._limit:
            self.content = io.BytesIO()
            self._refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        self._seen += len(data)
        if self._seen > self._limit:
            self.content.close()
            self.content = io.BytesIO()
            self._refuse()
            return
        super().handleContentChunk(data)

    def process(self) -> Any:
        if self._refused:  # the rest of the body may still arrive in the same read: never run the app on it
            return None
        return super().process()

    def _refuse(self) -> None:
        self._refused = True
        body = too_large_body(self._limit)
        head = (
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        )
        self.channel.transport.write(head + body)
        self.channel.loseConnection()


def install() -> None:
    # daphne's HTTPFactory looks the class up by this module-level name for every new connection.
    http_protocol.WebRequest = LimitedWebRequest
