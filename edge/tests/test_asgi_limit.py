"""The ASGI layer of the limit, for servers that stream the body to the application."""

from __future__ import annotations

from typing import Any

from edge.asgi import BodyLimitMiddleware


class App:
    def __init__(self) -> None:
        self.called = False
        self.read = b""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        while True:
            message = await receive()
            self.read += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _run(app: App, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await BodyLimitMiddleware(app)({"type": "http", "headers": headers}, receive, send)
    return sent


async def test_a_declared_length_over_the_limit_never_reaches_the_app(settings):
    settings.REQUEST_MAX_ANONYMOUS_BODY_KB = 1
    app = App()
    sent = await _run(app, [(b"content-length", b"5000")], [b"x" * 5000])
    assert sent[0]["status"] == 413
    assert not app.called


async def test_a_streamed_body_that_grows_past_the_limit_is_cut_off(settings):
    settings.REQUEST_MAX_ANONYMOUS_BODY_KB = 1
    app = App()
    sent = await _run(app, [], [b"x" * 600, b"x" * 600, b"x" * 600])
    assert sent[0]["status"] == 413
    assert len(app.read) <= 1024


async def test_credentials_get_the_larger_limit(settings):
    settings.REQUEST_MAX_ANONYMOUS_BODY_KB = 1
    settings.REQUEST_MAX_BODY_MB = 1
    app = App()
    sent = await _run(app, [(b"authorization", b"Bearer x")], [b"x" * 5000])
    assert sent[0]["status"] == 200
    assert len(app.read) == 5000
