"""Which players there are and what their heartbeats say, for /health/ and /metrics.

One player today (the default room); with rooms, `rooms()` lists them and each room's daemon publishes its
own heartbeat. Reading goes through `player.client`, which owns the heartbeat's key and validates it (a
missing, stale or malformed heartbeat, or Redis down, reads as None: offline).
"""

from __future__ import annotations

from player import client
from player.protocol import Heartbeat

DEFAULT_ROOM = "default"


def rooms() -> list[str]:
    return [DEFAULT_ROOM]


def heartbeat(room: str) -> Heartbeat | None:
    return client.heartbeat() if room == DEFAULT_ROOM else None


def heartbeats() -> dict[str, Heartbeat | None]:
    """Each room's player heartbeat, None where that player is not running."""
    return {room: heartbeat(room) for room in rooms()}
