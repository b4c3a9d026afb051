"""The music side of the player process: runs the state machine's effects on libvlc, saves and broadcasts.

`player.service.MusicPlayer` decides; this module does: it loads tracks into the engine, ducks the music
while instant clips play, counts plays, keeps the state in the database (so a restart resumes the same
playlist, mode and volume) and in Redis (so pages render the player bar without asking the process), and
tells every browser.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from pathlib import Path
from typing import Any

from django.conf import settings

from player import service
from player.commands import STATE_KEY
from player.engine import Engine, Playback

logger = logging.getLogger(__name__)

MUSIC_PREFIX = "music-"
TICK_S = 0.5  # position polls; browsers hear of each new second of playback (see `tick`)


def _load_tracks(playlist_id: int | None) -> tuple[int | None, str, list[service.Track]]:
    """The playlist (or the main one) as tracks, from the database. Runs in a worker thread."""
    from playlists.models import Playlist
    from playlists.services import main_playlist

    playlist = Playlist.objects.filter(pk=playlist_id).first() if playlist_id else None
    playlist = playlist or main_playlist()
    tracks = []
    for item in playlist.items.select_related("sound"):
        path = item.sound.playable_path()
        tracks.append(
            service.Track(
                sound_id=item.sound_id,
                name=item.sound.name,
                duration_ms=item.sound.normalized_duration or item.sound.duration,
                path=str(path) if path else "",
            )
        )
    return playlist.pk, playlist.name, tracks


class MusicRuntime:
    def __init__(self, engine: Engine, db: Any) -> None:
        self.engine = engine
        self.db = db  # wraps a sync function to run in a thread with its own DB connection
        self.player = service.MusicPlayer()
        self.current: Playback | None = None
        self.pending_seek = 0
        self.ducked = False
        self._shown_second: int | None = None  # the whole second of the position browsers last saw

    # --- start and state ---------------------------------------------------------------------------------
    async def start(self) -> None:
        from player.models import SavedPlayerState

        saved = await self.db(SavedPlayerState.load)()
        self.player = service.MusicPlayer.restore(saved) if saved else service.MusicPlayer()
        await self.reload(self.player.state.playlist_id, force=True)

    async def reload(self, playlist_id: int | None, *, force: bool = False) -> None:
        """Apply the seed's reload rules after the playlist changed (or on start)."""
        if not force and playlist_id != self.player.state.playlist_id:
            return
        pid, name, tracks = await self.db(_load_tracks)(playlist_id)
        await self.run(self.player.load_playlist(pid or 0, name, tracks))

    def public_state(self) -> dict[str, Any]:
        state = self.player.state.public_dict()
        state["ducked"] = self.ducked
        return state

    async def publish(self, *, save: bool = True) -> None:
        from player.models import SavedPlayerState
        from soundboard import events
        from soundboard.redis_client import sync_client

        state = self.public_state()
        self._shown_second = self.player.state.position_ms // 1000
        await asyncio.to_thread(sync_client().set, STATE_KEY, json.dumps(state))
        await events.abroadcast("player_state", {"state": state})
        if save:
            await self.db(SavedPlayerState.store)(self.player.state.to_dict())

    # --- commands ------------------------------------------------------------------------------------------
    async def command(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a browser's command; the answer carries the new state or why it was refused."""
        try:
            if name == "set_playlist":
                pid, pname, tracks = await self.db(_load_tracks)(int(params["playlist_id"]))
                effects = self.player.load_playlist(pid or 0, pname, tracks)
                effects += self.player.play() if params.get("play") and tracks else []
            else:
                effects = self.player.apply(name, **params)
        except service.PlayerError as exc:
            return {"status": "error", "detail": exc.detail, "code": exc.status}
        except (KeyError, TypeError, ValueError) as exc:
            return {"status": "error", "detail": f"Bad parameters: {exc}", "code": 400}
        await self.run(effects)
        return {"status": "ok", "state": self.public_state()}

    # --- effects ---------------------------------------------------------------------------------------------
    async def run(self, effects: list[service.Effect], *, save: bool = True) -> None:
        for effect in effects:
            await self._apply(effect)
        await self.publish(save=save)

    async def _apply(self, effect: service.Effect) -> None:
        from soundboard import events

        if isinstance(effect, service.Load):
            await self._release_current()
            path = Path(effect.track.path)
            playback_id = f"{MUSIC_PREFIX}{effect.playback}"
            if not effect.track.path or not path.is_file():
                logger.warning("Track %s is missing on disk", effect.track.name)
                await self.run(self.player.track_failed(playback=effect.playback), save=False)
                return
            self.pending_seek = effect.position_ms
            self.current = self.engine.play(
                path, playback_id=playback_id, label=effect.track.name, volume=self._volume(effect.volume)
            )
            self.current.sound_id = effect.track.sound_id
        elif isinstance(effect, service.Stop):
            await self._release_current()
        elif isinstance(effect, service.Pause) and self.current is not None:
            self.current.player.set_pause(1)
        elif isinstance(effect, service.Resume) and self.current is not None:
            self.current.player.set_pause(0)
        elif isinstance(effect, service.Seek) and self.current is not None:
            self.current.player.set_time(effect.position_ms)
        elif isinstance(effect, service.SetVolume) and self.current is not None:
            self.engine.set_volume(self.current, self._volume(effect.volume))
        elif isinstance(effect, service.CountPlay):
            from sounds.services import record_play

            await self.db(record_play)(sound_id=effect.sound_id, user_id=None, source="player")
        elif isinstance(effect, service.Warn):
            await events.abroadcast("toast", {"message": effect.message, "level": "warning"})

    async def _release_current(self) -> None:
        if self.current is not None:
            playback_id, self.current = self.current.id, None
            await asyncio.to_thread(self.engine.forget, playback_id)

    # --- libvlc reports --------------------------------------------------------------------------------------
    @staticmethod
    def owns(playback: Playback) -> bool:
        return playback.id.startswith(MUSIC_PREFIX)

    async def on_engine_event(self, kind: str, playback: Playback) -> None:
        number = int(playback.id.removeprefix(MUSIC_PREFIX))
        if kind == "playing":
            if self.pending_seek and self.current is playback:
                playback.player.set_time(self.pending_seek)
                self.pending_seek = 0
            return
        heard = playback._heard or self.engine.output.mode == "auto"
        if self.current is playback:
            self.current = None
            await asyncio.to_thread(self.engine.forget, playback.id)
        if kind == "ended" and heard:
            await self.run(self.player.track_ended(playback=number))
        else:  # an error, or an end without a single sample: the file is broken
            await self.run(self.player.track_failed(playback=number))

    async def tick(self) -> None:
        """Position while playing; counts plays at 20 % and keeps browsers' progress bars moving."""
        if self.player.state.status != "playing" or self.current is None:
            return
        position = self.current.player.get_time()
        length = self.current.player.get_length()
        if position < 0:
            return
        number = int(self.current.id.removeprefix(MUSIC_PREFIX))
        effects = self.player.tick(position, length if length > 0 else None, playback=number)
        for effect in effects:
            await self._apply(effect)
        # Publish each new second of playback, not every n-th poll: polls drift against the playback clock
        # (libvlc's time moves in uneven steps, the loop is sometimes busy), and a fixed "every other poll"
        # let the bar jump from 0.9 s to 2.0 s, never showing 1.x s.
        if effects or self.player.state.position_ms // 1000 != self._shown_second:
            await self.publish(save=False)

    # --- ducking -----------------------------------------------------------------------------------------
    def _volume(self, volume: int) -> int:
        if not self.ducked:
            return volume
        return max(0, round(volume * math.pow(10, -settings.PLAYER_DUCKING_DB / 20)))

    async def duck(self, on: bool) -> None:
        """While an instant clip plays, the music steps back by PLAYER_DUCKING_DB."""
        if on == self.ducked:
            return
        self.ducked = on
        if self.current is not None:
            self.engine.set_volume(self.current, self._volume(self.player.state.volume))
            await self.publish(save=False)  # without music nobody needs to hear about it
