"""The seed's player API: read the shared music player's state and control it."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from player import commands
from soundboard.types import AuthedRequest

router = Router(tags=["player"])


class SeekIn(Schema):
    position_ms: int


class VolumeIn(Schema):
    volume: int


class ModeIn(Schema):
    mode: str


class PlaylistIn(Schema):
    playlist_id: int
    play: bool = Field(default=False, description="Start playing it right away (costs a credit).")


def _run(request: AuthedRequest, command: str, **params: Any) -> dict[str, Any]:
    return commands.music_command(user=request.user, command=command, params=params)


@router.get("/state")
def state(request: AuthedRequest) -> dict[str, Any]:
    current = commands.published_state()
    return {"online": commands.is_online(), **(current or {"status": "stopped", "tracks": []})}


@router.post("/play")
def play(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "play")


@router.post("/pause")
def pause(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "pause")


@router.post("/stop")
def stop(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "stop")


@router.post("/next")
def next_track(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "next")


@router.post("/previous")
def previous(request: AuthedRequest) -> dict[str, Any]:
    return _run(request, "previous")


@router.post("/play/{index}")
def play_index(request: AuthedRequest, index: int) -> dict[str, Any]:
    return _run(request, "play_index", index=index)


@router.post("/seek")
def seek(request: AuthedRequest, payload: SeekIn) -> dict[str, Any]:
    return _run(request, "seek", ms=payload.position_ms)


@router.post("/volume")
def volume(request: AuthedRequest, payload: VolumeIn) -> dict[str, Any]:
    return _run(request, "set_volume", volume=payload.volume)


@router.post("/mode")
def mode(request: AuthedRequest, payload: ModeIn) -> dict[str, Any]:
    return _run(request, "set_mode", mode=payload.mode)


@router.post("/playlist")
def set_playlist(request: AuthedRequest, payload: PlaylistIn) -> dict[str, Any]:
    from playlists.models import Playlist

    if not Playlist.objects.filter(pk=payload.playlist_id).exists():
        raise HttpError(404, "No such playlist.")
    return _run(request, "set_playlist", playlist_id=payload.playlist_id, play=payload.play)
