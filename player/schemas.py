"""The `?room=` query parameter every player operation takes (the player's and the sounds' API)."""

from __future__ import annotations

from typing import Annotated

from ninja import Query

ROOM_HELP = (
    "The room's slug (GET /api/v1/rooms). Left out: your chosen room (PUT /api/v1/rooms/current), else `main`. "
    "Empty or malformed: 400; unknown: 404."
)
RoomQuery = Annotated[str | None, Query(description=ROOM_HELP)]
# Instant plays also take `*`: a staff announcement in every online room, charged once.
PlayRoomQuery = Annotated[str | None, Query(description=f"{ROOM_HELP} `*`: every online room (staff only).")]
