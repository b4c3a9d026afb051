"""Test helpers for the live socket: connect as a user through the real ASGI stack, wait for a frame."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from soundboard.asgi import application

ORIGIN = b"http://127.0.0.1:8000"


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect(user: User | None, origin: bytes = ORIGIN) -> tuple[WebsocketCommunicator, bool]:
    headers: list[tuple[bytes, bytes]] = [(b"origin", origin), (b"host", b"127.0.0.1:8000")]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def receive_until(communicator: WebsocketCommunicator, needle: str, timeout: float = 3) -> str:
    """Skip unrelated frames (presence updates) until one contains the needle, within `timeout` in all."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no frame with {needle!r} within {timeout} s")
        frame: Any = await communicator.receive_output(timeout=left)
        if frame["type"] == "websocket.close":
            raise AssertionError(f"closed while waiting for {needle!r}")
        text = frame.get("text", "")
        if needle in text:
            return text


async def connect_events(
    *,
    token: str | None = None,
    user: User | None = None,
    origin: bytes | None = ORIGIN,
    authorization: str | None = None,
) -> tuple[WebsocketCommunicator, bool, int | None]:
    """Open /ws/events/ as a program (a bearer token, usually no Origin) or a page's script (a session):
    the communicator, whether it was accepted, and the close code when it was not."""
    headers: list[tuple[bytes, bytes]] = [(b"host", b"127.0.0.1:8000")]
    if origin is not None:
        headers.append((b"origin", origin))
    if token is not None:
        authorization = f"Bearer {token}"
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, None if connected else code


async def receive_event(communicator: WebsocketCommunicator, event: str, timeout: float = 3) -> dict[str, Any]:
    """The next JSON event named `event`, skipping others, within `timeout` in all."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no {event!r} event within {timeout} s")
        frame: Any = await communicator.receive_output(timeout=left)
        if frame["type"] == "websocket.close":
            raise AssertionError(f"closed ({frame.get('code')}) while waiting for {event!r}")
        decoded: dict[str, Any] = json.loads(frame["text"])
        if decoded["event"] == event:
            return decoded


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 3) -> int:
    """Skip frames until the server closes the socket; its close code."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"still open after {timeout} s")
        frame: Any = await communicator.receive_output(timeout=left)
        if frame["type"] == "websocket.close":
            return int(frame.get("code", 1000))
