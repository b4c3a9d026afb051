"""Which players there are and what their heartbeats say, for /health/ and /metrics.

One player per room (`player.models.Room`); each room's daemon publishes its own heartbeat. Reading goes
through `player.client`, which owns the heartbeat keys and validates them (a missing, stale or malformed
heartbeat, or Redis down, reads as None: offline).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError

from player import client
from player.models import Room
from player.protocol import DEFAULT_ROOM, Heartbeat

logger = logging.getLogger(__name__)


def rooms() -> list[str]:
    """Every room's slug; `main` even before its row exists (a fresh site's player serves it). With the database
    down, `main` alone: the database's own check says what is wrong."""
    try:
        slugs = list(Room.objects.values_list("slug", flat=True))
    except DatabaseError:
        logger.warning("Cannot list the rooms (database down?)", exc_info=True)
        slugs = []
    return slugs if DEFAULT_ROOM in slugs else sorted([DEFAULT_ROOM, *slugs])


def heartbeat(room: str) -> Heartbeat | None:
    return client.heartbeat(room)


def heartbeats() -> dict[str, Heartbeat | None]:
    """Each room's player heartbeat, None where that player is not running."""
    return client.heartbeats(rooms())
