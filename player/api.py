"""The seed's player API: read a room's music player's state and control it.

Every operation takes `?room=SLUG` (`RoomQuery`); without it, the caller's chosen room, else `main` (see
`player.rooms`). Every number a client sends is bounded in its schema (so the documented bodies say what is
accepted and a 25-digit number is a 400, never a 500 after a debit); `player.client` checks again for the HTML
views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.conf import settings
from ninja import Path, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BeforeValidator, Field

from api.errors import refusals
from player import client, quiet, rooms
from player import queue as up_next
from player.protocol import (
    MAX_ID,
    MAX_POSITION_MS,
    MAX_TRACK_INDEX,
    MAX_VOLUME,
    MIN_VOLUME,
    Mode,
    PublishedState,
    TrackInfo,
)
from player.schemas import RoomQuery
from playlists.models import Playlist
from playlists.services import tracks_of
from web.types import AuthedRequest

router = Router(tags=["player"])
quiet_router = Router(tags=["quiet hours"])


def _within(low: int, high: int, message: str) -> BeforeValidator:
    """A readable refusal for an out-of-range whole number (pydantic's own names only the bound)."""

    def check(value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
            raise ValueError(message)
        return value

    return BeforeValidator(check)


PositionMs = Annotated[
    int,
    Field(ge=0, le=MAX_POSITION_MS),
    _within(0, MAX_POSITION_MS, f"Seek to a position between 0 and {MAX_POSITION_MS} ms."),
]
Volume = Annotated[
    int,
    Field(ge=MIN_VOLUME, le=MAX_VOLUME),
    _within(MIN_VOLUME, MAX_VOLUME, f"Volume must be between {MIN_VOLUME} and {MAX_VOLUME}."),
]


class SeekIn(Schema):
    position_ms: PositionMs


class VolumeIn(Schema):
    volume: Volume


class ModeIn(Schema):
    mode: Mode


class PlayerPlaylistIn(Schema):
    playlist_id: int = Field(ge=1, le=MAX_ID)
    play: bool = Field(default=False, description="Start playing it right away (costs a credit).")


class PlayerStateWithTracksOut(PublishedState):
    """The published state (`player.protocol.PublishedState`, the one definition of its fields) and the list."""

    room: str = Field(description="The room whose player this is.")
    online: bool
    tracks: list[TrackInfo] = Field(default_factory=list, description="The current playlist, from the database.")


def _room(request: AuthedRequest, room: str | None) -> str:
    return rooms.resolve(user=request.user, requested=room)


def _run(request: AuthedRequest, room: str | None, command: str, **params: Any) -> PublishedState:
    return client.music_command(user=request.user, room=_room(request, room), command=command, params=params)


@router.get("/state", response=PlayerStateWithTracksOut)
def state(request: AuthedRequest, room: RoomQuery = None) -> PlayerStateWithTracksOut:
    slug = _room(request, room)
    current = client.state(slug) or PublishedState()
    # The list's rows carry their index too; a track here is what the protocol calls one.
    tracks = [
        TrackInfo(sound_id=t["sound_id"], name=t["name"], duration_ms=t["duration_ms"])
        for t in tracks_of(current.playlist_id)
    ]
    return PlayerStateWithTracksOut(**dict(current), room=slug, online=client.is_online(slug), tracks=tracks)


class QueueAddIn(Schema):
    sound_id: int = Field(ge=1, le=MAX_ID)
    next: bool = Field(default=False, description="Play it next, ahead of the queue (else it goes last).")


class QueueOrderIn(Schema):
    items: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=1000, description="Queued items' ids in the new order; ids that left the queue are ignored."
    )


class QueueItemOut(Schema):
    id: int
    sound_id: int
    name: str
    duration_ms: int
    added_by: str
    added_at: datetime


class QueueOut(Schema):
    room: str
    items: list[QueueItemOut]
    limit: int = Field(description="PLAYER_QUEUE_MAX_ITEMS: adding past it is a 413.")
    cost: int = Field(description="What adding a sound costs (CREDIT_COST_PLAYER).")


def _queue(room: str) -> QueueOut:
    items = [
        QueueItemOut(
            id=e.id, sound_id=e.sound_id, name=e.name, duration_ms=e.duration_ms, added_by=e.added_by,
            added_at=e.added_at,
        )
        for e in up_next.entries(room)
    ]  # fmt: skip
    return QueueOut(room=room, items=items, limit=up_next.limit(), cost=settings.CREDIT_COST_PLAYER)


@router.get("/queue", response=QueueOut)
def queue(request: AuthedRequest, room: RoomQuery = None) -> QueueOut:
    """The room's up-next list, first to play first: queued sounds play before the playlist's next track."""
    return _queue(_room(request, room))


@router.post("/queue", response={201: QueueOut}, openapi_extra=refusals(402, 413, 423, 503))
def queue_add(request: AuthedRequest, payload: QueueAddIn, room: RoomQuery = None) -> Status[QueueOut]:
    """Queue a sound (last, or `next`: ahead of the others). Costs CREDIT_COST_PLAYER, on the ledger with the
    sound's name; a stopped player starts playing it. 404: no such sound; 413: the queue is full."""
    slug = _room(request, room)
    client.enqueue(user=request.user, room=slug, sound_id=payload.sound_id, first=payload.next)
    return Status(201, _queue(slug))


@router.put("/queue", response=QueueOut)
def queue_reorder(request: AuthedRequest, payload: QueueOrderIn, room: RoomQuery = None) -> QueueOut:
    """Reorder the queue (free). Items not listed keep their order after the listed ones."""
    slug = _room(request, room)
    client.limit(request.user)
    up_next.reorder(room=slug, ids=payload.items)
    client.queue_changed(slug)
    return _queue(slug)


@router.delete("/queue/{item_id}", response=QueueOut, openapi_extra=refusals(403))
def queue_remove(
    request: AuthedRequest, item_id: Annotated[int, Path(ge=1, le=MAX_ID)], room: RoomQuery = None
) -> QueueOut:
    """Take a sound out of the room's queue: whoever queued it, or staff. Nothing is refunded."""
    slug = _room(request, room)
    client.limit(request.user)
    up_next.remove(room=slug, item_id=item_id, user=request.user)
    client.queue_changed(slug)
    return _queue(slug)


@router.post("/play", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def play(request: AuthedRequest, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "play")


@router.post("/pause", response=PublishedState, openapi_extra=refusals(503))
def pause(request: AuthedRequest, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "pause")


@router.post("/stop", response=PublishedState, openapi_extra=refusals(503))
def stop(request: AuthedRequest, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "stop")


@router.post("/next", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def next_track(request: AuthedRequest, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "next")


@router.post("/previous", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def previous(request: AuthedRequest, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "previous")


@router.post("/play/{index}", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def play_index(
    request: AuthedRequest, index: Annotated[int, Path(ge=0, le=MAX_TRACK_INDEX)], room: RoomQuery = None
) -> PublishedState:
    return _run(request, room, "play_index", index=index)


@router.post("/seek", response=PublishedState, openapi_extra=refusals(503))
def seek(request: AuthedRequest, payload: SeekIn, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "seek", ms=payload.position_ms)


@router.post("/volume", response=PublishedState, openapi_extra=refusals(503))
def volume(request: AuthedRequest, payload: VolumeIn, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "set_volume", volume=payload.volume)


@router.post("/mode", response=PublishedState, openapi_extra=refusals(503))
def mode(request: AuthedRequest, payload: ModeIn, room: RoomQuery = None) -> PublishedState:
    return _run(request, room, "set_mode", mode=payload.mode)


@router.post("/playlist", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def set_playlist(request: AuthedRequest, payload: PlayerPlaylistIn, room: RoomQuery = None) -> PublishedState:
    if not Playlist.objects.filter(pk=payload.playlist_id).exists():
        raise HttpError(404, "No such playlist.")
    return _run(request, room, "set_playlist", playlist_id=payload.playlist_id, play=payload.play)


class QuietWindowOut(Schema):
    id: int
    day: int = Field(description="0 is Monday, 6 is Sunday.")
    day_name: str
    start: str = Field(description="HH:MM in the site's time zone.")
    end: str = Field(description="HH:MM; 00:00 is midnight at the end of the day.")
    note: str


class QuietWindowRoomOut(QuietWindowOut):
    room: str | None = Field(description="The room's slug; null: the window applies to every room.")


class QuietHoursOut(Schema):
    room: str = Field(description="The room these hours are for.")
    active: bool = Field(description="Instant plays and music are refused now (423), except staff's.")
    until: datetime | None = Field(description="When the current quiet period ends (adjoining windows joined).")
    message: str
    staff_override: bool = Field(description="You are staff: your plays and music go through during quiet hours.")
    time_zone: str
    windows: list[QuietWindowRoomOut] = Field(description="The room's own windows and those for every room.")


@quiet_router.get("/quiet-hours", response=QuietHoursOut)
def quiet_hours(request: AuthedRequest, room: RoomQuery = None) -> QuietHoursOut:
    """The room's weekly windows and whether it is quiet there now. Staff's plays always go through; no flag is
    needed."""
    slug = _room(request, room)
    period = quiet.current(room=slug)
    windows = [
        QuietWindowRoomOut(
            id=w.pk, day=w.day, day_name=w.get_day_display(), start=f"{w.start:%H:%M}", end=f"{w.end:%H:%M}",
            note=w.note, room=w.room.slug if w.room else None,
        )
        for w in quiet.windows_of(slug)
    ]  # fmt: skip
    message = f"Quiet hours until {period.until_text}." if period else "Not quiet now."
    return QuietHoursOut(
        room=slug,
        active=period is not None,
        until=period.until if period else None,
        message=message,
        staff_override=request.user.is_staff,
        time_zone=settings.TIME_ZONE,
        windows=windows,
    )
