"""The seed's three dashboard views as JSON."""

from __future__ import annotations

from typing import Annotated

from ninja import Query, Router, Schema

from dashboard import stats
from player import rooms
from player.schemas import ROOM_HELP
from web.types import AuthedRequest

router = Router(tags=["dashboard"])


class TopSoundsOut(Schema):
    sound_type: str
    period: str
    limit: int
    room: str | None
    items: list[stats.TopSound]


# Not the player's RoomQuery: here no room means every room's plays, not the caller's room.
RoomFilter = Annotated[str | None, Query(description=f"Only this room's plays (left out: every room's). {ROOM_HELP}")]


def _room(room: str | None) -> str | None:
    return rooms.get(room).slug if room is not None else None


# The figures' TypedDicts are the response schemas: one definition for the page, the API and its OpenAPI.
@router.get("/soundboard-statistics", response=stats.BoardStatistics)
def soundboard_statistics(request: AuthedRequest) -> stats.BoardStatistics:
    return stats.soundboard_statistics()


@router.get("/track-statistics", response=stats.TrackStatistics)
def track_statistics(request: AuthedRequest, room: RoomFilter = None) -> stats.TrackStatistics:
    return stats.track_statistics(room=_room(room))


@router.get("/top-sounds", response=TopSoundsOut)
def top_sounds(
    request: AuthedRequest, sound_type: str = "all", period: str = "all_time", limit: int = 10, room: RoomFilter = None
) -> TopSoundsOut:
    # A bad filter is a StatsError or RoomError (UserErrors): the API's one handler answers it with 400 or 404.
    slug = _room(room)
    items = stats.top_sounds(sound_type=sound_type, period=period, limit=limit, room=slug)
    return TopSoundsOut(sound_type=sound_type, period=period, limit=limit, room=slug, items=items)
