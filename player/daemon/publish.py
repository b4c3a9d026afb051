"""The daemon's one way to tell the browsers something: a typed event from `player.protocol`, sent as data.

The web side renders each event for browsers (once per event) and forwards it as JSON to programs; the daemon
renders nothing, which is why it runs without templates or static files.
"""

from __future__ import annotations

from live import events
from live.contexts import LiveContext
from player.protocol import Event


async def publish_event(event: Event | LiveContext) -> None:
    await events.abroadcast(event)
