"""ASGI middleware that refuses oversized request bodies before Django reads (and spools) them.

Under a streaming ASGI server this is the edge: a declared `Content-Length` over the limit is answered 413
without reading a byte, and a body that grows past the limit is cut off with a 413. Under daphne, which
buffers the body inside Twisted before calling the application, `edge.daphne` applies the same limits
earlier still; this middleware stays as the second line.
"""

from __future__ import annotations

from typing import Any

from edge.limits import body_limit, declared_length, too_large_body

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyTooLarge(Exception):
    pass


async def _send_413(send: Any, limit: int) -> None:
    body = too_large_body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["headers"])
        length = declared_length(scope["headers"])
        if length is not None and length > limit:
            await _send_413(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send, limit)
