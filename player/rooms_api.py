"""`/api/v1/rooms`: every room and how its player is doing, and the room you play to when you don't name one."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from pydantic import Field

from api.errors import refusals
from player import rooms
from player.models import Room
from player.protocol import DEFAULT_ROOM, PlayingClip, PublishedState
from web.types import AuthedRequest

router = Router(tags=["rooms"])


class RoomOut(Schema):
    slug: str
    name: str
    default_volume: int = Field(description="The music's volume when the room's player first starts.")
    online: bool = Field(description="Its player publishes its heartbeat: plays there are accepted.")
    last_heartbeat: datetime | None = Field(description="When its player last said it is alive; null: offline.")
    clips: list[PlayingClip] = Field(description="The instant clips playing there now.")
    music: PublishedState | None = Field(description="Its music player (what GET /player/state says); null: offline.")
    chosen: bool = Field(description="It is your room: plays without ?room= go here.")

    @classmethod
    def of(cls, status: rooms.RoomStatus, chosen: str) -> RoomOut:
        return cls(
            slug=status.slug,
            name=status.name,
            default_volume=status.default_volume,
            online=status.online,
            last_heartbeat=status.last_heartbeat,
            clips=status.clips,
            music=status.music,
            chosen=status.slug == chosen,
        )


class ChooseIn(Schema):
    room: str = Field(description="The room's slug.")


def _listing(request: AuthedRequest) -> tuple[list[rooms.RoomStatus], str]:
    Room.ensure(DEFAULT_ROOM)  # the list always has `main`, where people play until they choose
    return rooms.statuses(), rooms.chosen_slug(request.user)


@router.get("/rooms", response=list[RoomOut])
def list_rooms(request: AuthedRequest) -> list[RoomOut]:
    """Every room, its player's status and what it plays (clips and music)."""
    statuses, chosen = _listing(request)
    return [RoomOut.of(status, chosen) for status in statuses]


def _one(request: AuthedRequest, slug: str) -> RoomOut:
    statuses, chosen = _listing(request)
    return next(RoomOut.of(status, chosen) for status in statuses if status.slug == slug)


@router.get("/rooms/current", response=RoomOut)
def current(request: AuthedRequest) -> RoomOut:
    """Your room: where your plays and player commands go when they don't name one (`main` until you choose)."""
    return _one(request, rooms.chosen_slug(request.user))


@router.put("/rooms/current", response=RoomOut, openapi_extra=refusals(400, 404))
def choose(request: AuthedRequest, payload: ChooseIn) -> RoomOut:
    """Choose your room (remembered on your account)."""
    return _one(request, rooms.choose(user=request.user, slug=payload.room).slug)
