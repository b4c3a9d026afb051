"""The seed's player API: read the shared music player's state and control it.

Every number a client sends is bounded in its schema (so the documented bodies say what is accepted and a
25-digit number is a 400, never a 500 after a debit); `player.client` checks again for the HTML views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.conf import settings
from ninja import Path, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BeforeValidator, Field

from api.errors import refusals
from player import client, quiet
from player import queue as up_next
from player.models import QuietWindow
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

    online: bool
    tracks: list[TrackInfo] = Field(default_factory=list, description="The current playlist, from the database.")


def _run(request: AuthedRequest, command: str, **params: Any) -> PublishedState:
    return client.music_command(user=request.user, command=command, params=params)


@router.get("/state", response=PlayerStateWithTracksOut)
def state(request: AuthedRequest) -> PlayerStateWithTracksOut:
    current = client.state() or PublishedState()
    # The list's rows carry their index too; a track here is what the protocol calls one.
    tracks = [
        TrackInfo(sound_id=t["sound_id"], name=t["name"], duration_ms=t["duration_ms"])
        for t in tracks_of(current.playlist_id)
    ]
    return PlayerStateWithTracksOut(**dict(current), online=client.is_online(), tracks=tracks)


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
    items: list[QueueItemOut]
    limit: int = Field(description="PLAYER_QUEUE_MAX_ITEMS: adding past it is a 413.")
    cost: int = Field(description="What adding a sound costs (CREDIT_COST_PLAYER).")


def _queue() -> QueueOut:
    items = [
        QueueItemOut(
            id=e.id, sound_id=e.sound_id, name=e.name, duration_ms=e.duration_ms, added_by=e.added_by,
            added_at=e.added_at,
        )
        for e in up_next.entries()
    ]  # fmt: skip
    return QueueOut(items=items, limit=up_next.limit(), cost=settings.CREDIT_COST_PLAYER)


@router.get("/queue", response=QueueOut)
def queue(request: AuthedRequest) -> QueueOut:
    """The shared up-next list, first to play first: queued sounds play before the playlist's next track."""
    return _queue()


@router.post("/queue", response={201: QueueOut}, openapi_extra=refusals(402, 413, 423, 503))
def queue_add(request: AuthedRequest, payload: QueueAddIn) -> Status[QueueOut]:
    """Queue a sound (last, or `next`: ahead of the others). Costs CREDIT_COST_PLAYER, on the ledger with the
    sound's name; a stopped player starts playing it. 404: no such sound; 413: the queue is full."""
    client.enqueue(user=request.user, sound_id=payload.sound_id, first=payload.next)
    return Status(201, _queue())


@router.put("/queue", response=QueueOut)
def queue_reorder(request: AuthedRequest, payload: QueueOrderIn) -> QueueOut:
    """Reorder the queue (free). Items not listed keep their order after the listed ones."""
    client.limit(request.user)
    up_next.reorder(payload.items)
    client.queue_changed()
    return _queue()


@router.delete("/queue/{item_id}", response=QueueOut, openapi_extra=refusals(403))
def queue_remove(request: AuthedRequest, item_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> QueueOut:
    """Take a sound out of the queue: whoever queued it, or staff. Nothing is refunded."""
    client.limit(request.user)
    up_next.remove(item_id=item_id, user=request.user)
    client.queue_changed()
    return _queue()


@router.post("/play", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def play(request: AuthedRequest) -> PublishedState:
    return _run(request, "play")


@router.post("/pause", response=PublishedState, openapi_extra=refusals(503))
def pause(request: AuthedRequest) -> PublishedState:
    return _run(request, "pause")


@router.post("/stop", response=PublishedState, openapi_extra=refusals(503))
def stop(request: AuthedRequest) -> PublishedState:
    return _run(request, "stop")


@router.post("/next", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def next_track(request: AuthedRequest) -> PublishedState:
    return _run(request, "next")


@router.post("/previous", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def previous(request: AuthedRequest) -> PublishedState:
    return _run(request, "previous")


@router.post("/play/{index}", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def play_index(request: AuthedRequest, index: Annotated[int, Path(ge=0, le=MAX_TRACK_INDEX)]) -> PublishedState:
    return _run(request, "play_index", index=index)


@router.post("/seek", response=PublishedState, openapi_extra=refusals(503))
def seek(request: AuthedRequest, payload: SeekIn) -> PublishedState:
    return _run(request, "seek", ms=payload.position_ms)


@router.post("/volume", response=PublishedState, openapi_extra=refusals(503))
def volume(request: AuthedRequest, payload: VolumeIn) -> PublishedState:
    return _run(request, "set_volume", volume=payload.volume)


@router.post("/mode", response=PublishedState, openapi_extra=refusals(503))
def mode(request: AuthedRequest, payload: ModeIn) -> PublishedState:
    return _run(request, "set_mode", mode=payload.mode)


@router.post("/playlist", response=PublishedState, openapi_extra=refusals(402, 423, 503))
def set_playlist(request: AuthedRequest, payload: PlayerPlaylistIn) -> PublishedState:
    if not Playlist.objects.filter(pk=payload.playlist_id).exists():
        raise HttpError(404, "No such playlist.")
    return _run(request, "set_playlist", playlist_id=payload.playlist_id, play=payload.play)


class QuietWindowOut(Schema):
    id: int
    day: int = Field(description="0 is Monday, 6 is Sunday.")
    day_name: str
    start: str = Field(description="HH:MM in the site's time zone.")
    end: str = Field(description="HH:MM; 00:00 is midnight at the end of the day.")
    note: str


class QuietHoursOut(Schema):
    active: bool = Field(description="Instant plays and music are refused now (423), except staff's.")
    until: datetime | None = Field(description="When the current quiet period ends (adjoining windows joined).")
    message: str
    staff_override: bool = Field(description="You are staff: your plays and music go through during quiet hours.")
    time_zone: str
    windows: list[QuietWindowOut]


@quiet_router.get("/quiet-hours", response=QuietHoursOut)
def quiet_hours(request: AuthedRequest) -> QuietHoursOut:
    """The weekly windows and whether it is quiet now. Staff's plays always go through; no flag is needed."""
    period = quiet.current()
    windows = [
        QuietWindowOut(
            id=w.pk, day=w.day, day_name=w.get_day_display(), start=f"{w.start:%H:%M}", end=f"{w.end:%H:%M}",
            note=w.note,
        )
        for w in QuietWindow.objects.all()
    ]  # fmt: skip
    message = f"Quiet hours until {period.until_text}." if period else "Not quiet now."
    return QuietHoursOut(
        active=period is not None,
        until=period.until if period else None,
        message=message,
        staff_override=request.user.is_staff,
        time_zone=settings.TIME_ZONE,
        windows=windows,
    )
