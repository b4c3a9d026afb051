"""Live events to HTML, on the web side: each event rendered once per web process, whatever its fan-out.

A group_send to N sockets of one process delivers N copies of the same message (same id); the first consumer
renders and the others reuse the result. Consumers of one process share its event loop and render without
awaiting, so the first copy is always rendered before the next is handled; the lock covers sync callers.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from live.events import EVENT_NAME
from player import rooms

logger = logging.getLogger(__name__)

# Copies of one event arrive within moments of each other; a few hundred recent events is plenty.
CACHE_SIZE = 512

_rendered: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def render(event: str, context: dict[str, Any], room_names: Mapping[str, str] | None = None) -> str:
    if not EVENT_NAME.match(event):
        # Whoever can write to the channel layer must still not pick a template outside templates/live/.
        raise ValueError(f"Invalid event name: {event!r}")
    extra: dict[str, Any] = {"room_names": room_names or {}}
    if "played_at" in context:
        # Contexts cross Redis as msgpack, so times travel as ISO strings; templates want datetimes.
        extra["played_at_dt"] = datetime.fromisoformat(context["played_at"])
    return render_to_string(f"live/{event}.html", {**context, **extra})


class RoomNames:
    """The rooms' names for events that name their room (the feed says "in Terrace"), read at most every few
    seconds per process: rendering runs on the event loop, where the database may not be touched.

    One read for every socket that asks at once. An event reaches all of a process's sockets in the same moment;
    each of them finding the names stale and reading them would queue hundreds of identical reads, one after the
    other, on the one thread where all of a process's sockets run their sync calls."""

    MAX_AGE = 5.0

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._read_at = -math.inf
        self._reading: asyncio.Task[None] | None = None

    async def get(self) -> dict[str, str]:
        if time.monotonic() - self._read_at <= self.MAX_AGE:
            return self._names
        reading = self._reading
        # A task belongs to its event loop: a read started on another loop (tests run one per test) is not ours.
        if reading is None or reading.done() or reading.get_loop() is not asyncio.get_running_loop():
            reading = self._reading = asyncio.ensure_future(self._read())
        # Shielded: a socket that closes while it waits must not cancel the read the others wait for.
        await asyncio.shield(reading)
        return self._names

    async def _read(self) -> None:
        self._names = await database_sync_to_async(rooms.names)()
        self._read_at = time.monotonic()


room_names = RoomNames()


def html_for(message: Mapping[str, Any], room_names: Mapping[str, str] | None = None) -> str:
    """The HTML of a live event message; "" when it can't be rendered (logged once, the socket carries on).

    `room_names` (slug → name) for events that name their room."""
    event_id = str(message.get("id", ""))
    with _lock:
        html = _rendered.get(event_id) if event_id else None
        if html is None:
            try:
                html = render(str(message.get("event", "")), dict(message.get("context") or {}), room_names)
            except Exception:
                logger.exception("Could not render live event %r", message.get("event"))
                html = ""
            if event_id:
                _rendered[event_id] = html
                if len(_rendered) > CACHE_SIZE:
                    _rendered.popitem(last=False)
        return html
