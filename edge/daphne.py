"""Two fixes inside daphne: the body limit where it has to be, and backpressure on response bodies.

**The body limit.** Twisted reads the whole body before the application runs.

Daphne's request class spools every body (to a temporary file past 100 KB) and only then calls the ASGI
application, so an ASGI middleware would see a 200 MB upload after it was written to disk. This subclass
checks the limit when the headers arrive (`gotLength`) and while the body streams in (`handleContentChunk`):
over it, the client gets a 413 at once and the connection is closed; nothing is kept.

**Backpressure.** Daphne writes every `http.response.body` message to the Twisted transport and returns at
once: when the client reads slower than the application sends (a phone downloading a 100 MB sound), the unsent
bytes pile up in the web process's memory, the whole file in the end (50 slow downloads of a 100 MB sound grew
daphne by 1.2 GB: `python -m benchmarks files`). Twisted knows when its send buffer is full: it pauses a
registered push producer. The request registers a `_Valve` for a streamed body, and `Server.handle_reply` (the
application's `send`) waits for the valve after each chunk, so `await send(...)` returns only once the client
has taken the previous chunk, as the ASGI spec intends. A disconnect opens the valve (and Django cancels the
response anyway).

`install()` swaps both in for daphne's own; `soundboard.asgi` calls it, so `daphne soundboard.asgi:…` stays the
command that starts the web process.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from daphne import http_protocol, server

from edge.limits import body_limit, too_large_body


class _Valve:
    """A Twisted push producer that only records whether the transport wants more: open, or paused."""

    def __init__(self, *, paused: bool) -> None:
        self.open = asyncio.Event()
        if not paused:
            self.open.set()

    def pauseProducing(self) -> None:
        self.open.clear()

    def resumeProducing(self) -> None:
        self.open.set()

    def stopProducing(self) -> None:  # the connection is going: never leave a sender waiting
        self.open.set()


class LimitedWebRequest(http_protocol.WebRequest):  # type: ignore[misc]  # daphne ships no types: its base is Any
    _refused = False
    _limit = 0
    _seen = 0
    _valve: _Valve | None = None

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

    # --- backpressure -------------------------------------------------------------------------------------

    def handle_reply(self, message: dict[str, Any]) -> None:
        streaming = message.get("type") == "http.response.body" and bool(message.get("more_body"))
        if streaming and self._valve is None and not self.finished and self.channel is not None:
            # Twisted pauses a producer only when the buffer *becomes* full: start from its state now.
            self._valve = _Valve(paused=bool(self.channel._waitingForTransport))
            self.registerProducer(self._valve, True)
        elif not streaming and self._valve is not None:
            self._release()  # the last chunk: a channel keeps one producer, the next request needs the slot
        super().handle_reply(message)

    async def drained(self) -> None:
        """Return once the transport takes more (at once if nothing is streaming)."""
        if self._valve is not None:
            await self._valve.open.wait()

    def _release(self) -> None:
        valve, self._valve = self._valve, None
        if valve is not None:
            valve.open.set()
            if self.channel is not None:
                self.unregisterProducer()

    def connectionLost(self, reason: Any) -> None:
        self._release()
        super().connectionLost(reason)


_daphne_handle_reply = server.Server.handle_reply


async def _handle_reply_with_backpressure(self: Any, protocol: Any, message: dict[str, Any]) -> None:
    await _daphne_handle_reply(self, protocol, message)
    if isinstance(protocol, LimitedWebRequest):  # websockets have their own protocol class: untouched
        await protocol.drained()


def install() -> None:
    # daphne's HTTPFactory looks the class up by this module-level name for every new connection.
    http_protocol.WebRequest = LimitedWebRequest
    # The application's `send` is `partial(server.handle_reply, protocol)`, looked up on the class per connection.
    server.Server.handle_reply = _handle_reply_with_backpressure
