"""The seed's player API: read the shared music player's state and control it.

Every number a client sends is bounded in its schema (so the documented bodies say what is accepted and a
25-digit number is a 400, never a 500 after a debit); `player.client` checks again for the HTML views.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Path, Router, Schema
from ninja.errors import HttpError
from pydantic import BeforeValidator, Field

from api.errors import refusals
from player import client
from player.protocol import (
    DEFAULT_MODE,
    DEFAULT_VOLUME,
    MAX_ID,
    MAX_POSITION_MS,
    MAX_TRACK_INDEX,
    MAX_VOLUME,
    MIN_VOLUME,
    Mode,
    Status,
)
from playlists.models import Playlist
from playlists.services import tracks_of
from web.types import AuthedRequest

router = Router(tags=["player"])


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


class PlayerTrackOut(Schema):
    sound_id: int
    name: str
    duration_ms: int


class PlayerStateOut(Schema):
    """What the player publishes every second: the current track, not the whole list (see `tracks_version`)."""

    status: Status = "stopped"
    mode: Mode = DEFAULT_MODE
    volume: int = DEFAULT_VOLUME
    current_index: int | None = None
    current_sound_id: int | None = None
    current_track: PlayerTrackOut | None = None
    position_ms: int = 0
    duration_ms: int = 0
    playlist_id: int | None = None
    playlist_name: str = ""
    length: int = 0
    total_duration_ms: int = 0
    tracks_version: int = Field(default=0, description="Changes whenever the player's track list changes.")
    ducked: bool = False


class PlayerStateWithTracksOut(PlayerStateOut):
    online: bool
    tracks: list[PlayerTrackOut] = Field(default_factory=list, description="The current playlist, from the database.")


def _run(request: AuthedRequest, command: str, **params: Any) -> dict[str, Any]:
    return client.music_command(user=request.user, command=command, params=params)


@router.get("/state", response=PlayerStateWithTracksOut)
def state(request: AuthedRequest) -> dict[str, Any]:
    current = client.published_state() or {}
    return {**current, "online": client.is_online(), "tracks": tracks_of(current.get("playlist_id"))}


@router.post("/play", response=PlayerStateOut, openapi_extra=refusals(402, 503))
def play(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "play")


@router.post("/pause", response=PlayerStateOut, openapi_extra=refusals(503))
def pause(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "pause")


@router.post("/stop", response=PlayerStateOut, openapi_extra=refusals(503))
def stop(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "stop")


@router.post("/next", response=PlayerStateOut, openapi_extra=refusals(402, 503))
def next_track(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "next")


@router.post("/previous", response=PlayerStateOut, openapi_extra=refusals(402, 503))
def previous(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "previous")


@router.post("/play/{index}", response=PlayerStateOut, openapi_extra=refusals(402, 503))
def play_index(request: AuthedRequest, index: Annotated[int, Path(ge=0, le=MAX_TRACK_INDEX)]) -> dict[str, Any]:
    return _run(request, "play_index", index=index)


@router.post("/seek", response=PlayerStateOut, openapi_extra=refusals(503))
def seek(request: AuthedRequest, payload: SeekIn) -> dict[str, Any]:
    return _run(request, "seek", ms=payload.position_ms)


@router.post("/volume", response=PlayerStateOut, openapi_extra=refusals(503))
def volume(request: AuthedRequest, payload: VolumeIn) -> dict[str, Any]:
    return _run(request, "set_volume", volume=payload.volume)


@router.post("/mode", response=PlayerStateOut, openapi_extra=refusals(503))
def mode(request: AuthedRequest, payload: ModeIn) -> dict[str, Any]:
    return _run(request, "set_mode", mode=payload.mode)


@router.post("/playlist", response=PlayerStateOut, openapi_extra=refusals(402, 503))
def set_playlist(request: AuthedRequest, payload: PlayerPlaylistIn) -> dict[str, Any]:
    if not Playlist.objects.filter(pk=payload.playlist_id).exists():
        raise HttpError(404, "No such playlist.")
    return _run(request, "set_playlist", playlist_id=payload.playlist_id, play=payload.play)
