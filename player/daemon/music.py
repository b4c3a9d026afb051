"""The music side of the player daemon: runs the state machine's effects on libvlc, bills, saves and publishes.

`player.machine.MusicPlayer` decides; this module does: it charges a command that starts playback (here, where
the state is, so two presses at once can't both pay), loads tracks into the engine, ducks the music while
instant clips play, counts plays, keeps the state in the database (so a restart resumes the same playlist,
mode and volume) and in Redis (so pages render the player bar without asking the daemon), and tells every
browser.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from core.errors import UserError
from core.redis_client import sync_client
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from live.contexts import Toast
from player import machine, quiet
from player import queue as up_next
from player.daemon.engine import Engine, Playback
from player.daemon.publish import publish_event
from player.models import SavedPlayerState
from player.protocol import MusicAnswer, MusicCommand, PlayerStateChanged, PublishedState, state_key
from playlists.models import Playlist
from playlists.services import main_playlist
from sounds.models import Sound
from sounds.services import record_play

logger = logging.getLogger(__name__)

MUSIC_PREFIX = "music-"
TICK_S = 0.5  # position polls; browsers hear of each new second of playback (see `tick`)
QUIET_LOOK_S = 1.0  # how often the daemon asks whether quiet hours began (a cached read)


def _load_tracks(playlist_id: int | None) -> tuple[int | None, str, list[machine.Track]]:
    """The playlist (or the main one) as tracks, from the database. Runs in a worker thread."""
    playlist = Playlist.objects.filter(pk=playlist_id).first() if playlist_id else None
    playlist = playlist or main_playlist()
    tracks = []
    for item in playlist.items.select_related("sound"):
        path = item.sound.playable_path()
        tracks.append(
            machine.Track(
                sound_id=item.sound_id,
                name=item.sound.name,
                duration_ms=item.sound.normalized_duration or item.sound.duration,
                path=str(path) if path else "",
            )
        )
    return playlist.pk, playlist.name, tracks


def _sound_volume(sound_id: int) -> int:
    """The sound's own volume (0-200 %), read as its track starts: an edit made since the playlist was loaded
    counts. A sound deleted meanwhile plays at 100 % (its file is gone anyway, so the track is skipped)."""
    volume = Sound.objects.filter(pk=sound_id).values_list("volume", flat=True).first()
    return 100 if volume is None else volume


def _ledger_note(command: str, state: machine.PlayerState) -> dict[str, Any]:
    """What a paid command started, for the sender's ledger: the track and the playlist, not just "music"."""
    track = state.current_track
    return {
        "command": command,
        "sound_id": track.sound_id if track else None,
        "sound_name": track.name if track else "",
        "playlist": state.playlist_name,
    }


class MusicRuntime:
    def __init__(self, engine: Engine, db: Any, *, room: str, default_volume: int = machine.DEFAULT_VOLUME) -> None:
        self.engine = engine
        self.db = db  # wraps a sync function to run in a thread with its own DB connection
        self.room = room
        self.default_volume = default_volume  # a room's first start; afterwards its saved state says
        self.player = machine.MusicPlayer()
        # Held by everything that moves the state machine (commands, reloads, ticks, libvlc reports): a command
        # decides on the state, debits in a DB thread and then acts, and nothing may move the state in between.
        self.lock = asyncio.Lock()
        self.current: Playback | None = None
        self.pending_seek = 0
        self.ducked = False
        # The current track's own volume (the sound's, 0-200 %): it scales the player's volume for what the room
        # hears; the state (and the slider) keeps the player's volume.
        self.track_volume = 100
        self._shown_second: int | None = None  # the whole second of the position browsers last saw
        self._quiet: bool | None = None  # whether it was quiet at the last look (None: not looked yet)
        self._quiet_looked = 0.0

    # --- start and state ---------------------------------------------------------------------------------
    async def start(self) -> None:
        saved = await self.db(SavedPlayerState.load)(self.room)
        fresh = machine.MusicPlayer(machine.PlayerState(volume=self.default_volume))
        self.player = machine.MusicPlayer.restore(saved) if saved else fresh
        await self.reload(self.player.state.playlist_id, force=True)
        await self.queue_changed()

    async def queue_changed(self) -> None:
        """Someone reordered or removed queued sounds: take the list from the database and tell everyone."""
        async with self.lock:
            await self._refresh_queue()
            await self.publish(save=False)

    async def _refresh_queue(self) -> None:
        # Also read before every decision that may take from the queue: the database is the queue's truth.
        self.player.set_queue(await self.db(up_next.tracks)(self.room))

    async def reload(self, playlist_id: int | None, *, force: bool = False) -> None:
        """Apply the seed's reload rules after the playlist changed (or on start)."""
        async with self.lock:
            if not force and playlist_id != self.player.state.playlist_id:
                return
            pid, name, tracks = await self.db(_load_tracks)(playlist_id)
            await self.run(self.player.load_playlist(pid or 0, name, tracks))

    def public_state(self) -> PublishedState:
        return PublishedState.model_validate({**self.player.state.public_dict(), "ducked": self.ducked})

    async def publish(self, *, save: bool = True) -> None:
        state = self.public_state()
        self._shown_second = self.player.state.position_ms // 1000
        await asyncio.to_thread(sync_client().set, state_key(self.room), state.model_dump_json())
        await publish_event(PlayerStateChanged(room=self.room, state=state))
        if save:
            await self.db(SavedPlayerState.store)(self.room, self.player.state.to_dict())

    # --- commands ------------------------------------------------------------------------------------------
    async def command(self, command: MusicCommand) -> MusicAnswer:
        """Run a user's command; the answer carries the new state or why it was refused (402: not enough credits).

        The command is first tried on a copy of the state machine: a refusal costs nothing and changes nothing.
        When it starts playback its sender is debited (one conditional UPDATE) before any effect; a command whose
        deadline passed meanwhile is refunded and never run, since its sender has stopped waiting.
        """
        async with self.lock:
            await self._refresh_queue()
            trial = copy.deepcopy(self.player)
            name, params = command.command, command.params
            added: tuple[CreditTransaction, int] | None = None
            try:
                if name == "enqueue":
                    # Paid here, with the row, in one transaction (see `player.queue.add`); a stopped player starts
                    # the queue at once, free, since the add was the press that paid.
                    assert params.sound_id is not None
                    added = await self.db(up_next.add)(
                        room=self.room, user_id=command.user_id, sound_id=params.sound_id, first=bool(params.first)
                    )
                    effects = trial.set_queue(await self.db(up_next.tracks)(self.room))
                    effects += trial.play() if trial.state.status == "stopped" else []
                    paid = False
                elif name == "set_playlist":
                    pid, pname, tracks = await self.db(_load_tracks)(params.playlist_id)
                    if params.play and not tracks:
                        # "Play this playlist" on an empty one: a refusal, so nothing is charged.
                        return MusicAnswer(status="error", detail=f"“{pname}” is empty: add sounds first.", code=409)
                    effects = trial.load_playlist(pid or 0, pname, tracks)
                    paid = bool(params.play and tracks)
                    effects += trial.play() if paid else []
                else:
                    paid = machine.starts_playback(name, self.player.state)
                    effects = trial.apply(name, **params.given())
            except (machine.PlayerError, UserError) as exc:  # a refused add: nothing charged, nothing queued
                return MusicAnswer(status="error", detail=exc.detail, code=exc.status)
            except (KeyError, TypeError, ValueError) as exc:
                return MusicAnswer(status="error", detail=f"Bad parameters: {exc}", code=400)
            if paid and not any(track.path for track in [*trial.state.queue, *trial.state.tracks]):
                # Every track's file is missing or unplayable: the player would skip them all and stop, so a
                # start would be paid for silence.
                detail = f"None of the sounds in “{trial.state.playlist_name}” can be played right now."
                return MusicAnswer(status="error", detail=detail, code=409)
            debit = None
            cost = credits.cost_of(CreditAction.PLAYER_PLAY) if paid else 0
            if paid:
                try:
                    debit = await self.db(credits.debit)(
                        user_id=command.user_id,
                        amount=cost,
                        action=CreditAction.PLAYER_PLAY,
                        metadata={**_ledger_note(name, trial.state), "room": self.room},
                    )
                except credits.InsufficientCredits as exc:
                    return MusicAnswer(status="error", detail=str(exc), code=402)
            if time.time() > command.deadline:
                # Checked last, right before the effects (the lock, the playlist read or the debit took a while).
                if debit is not None:
                    await self.db(credits.refund)(debit, reason="the player was too slow to start it")
                if added is not None:
                    await self.db(up_next.undo_add)(*added)
                logger.warning("Dropped an expired %r command before its effects", name)
                return MusicAnswer(status="error", detail="The player did not answer in time.", code=503)
            self.player = trial
            await self.run(effects)
            # The quiet-hours watch compares with now: a command obeyed during quiet hours was staff's (everyone
            # else is refused before it gets here), so the watch must not take that moment for a beginning.
            await self._watch_quiet(now=True)
            return MusicAnswer(status="ok", state=self.public_state(), charged=cost if debit is not None else 0)

    # --- effects ---------------------------------------------------------------------------------------------
    async def run(self, effects: list[machine.Effect], *, save: bool = True) -> None:
        for effect in effects:
            await self._apply(effect)
        await self.publish(save=save)

    async def _apply(self, effect: machine.Effect) -> None:
        if isinstance(effect, machine.Load):
            await self._release_current()
            path = Path(effect.track.path)
            playback_id = f"{MUSIC_PREFIX}{effect.playback}"
            if effect.track.item_id is not None and not await self.db(up_next.take)(effect.track.item_id):
                # Removed from the queue (or its sound deleted) since the list was read: skip it quietly.
                await self.run(self.player.track_failed(playback=effect.playback)[1:], save=False)
                return
            if not effect.track.path or not path.is_file():
                logger.warning("Track %s is missing on disk", effect.track.name)
                await self.run(self.player.track_failed(playback=effect.playback), save=False)
                return
            self.pending_seek = effect.position_ms
            self.track_volume = await self.db(_sound_volume)(effect.track.sound_id)
            self.current = self.engine.play(
                path, playback_id=playback_id, label=effect.track.name, volume=self._volume(effect.volume)
            )
            self.current.sound_id = effect.track.sound_id
        elif isinstance(effect, machine.Stop):
            await self._release_current()
        elif isinstance(effect, machine.Pause) and self.current is not None:
            self.current.player.set_pause(1)
        elif isinstance(effect, machine.Resume) and self.current is not None:
            self.current.player.set_pause(0)
        elif isinstance(effect, machine.Seek) and self.current is not None:
            self.current.player.set_time(effect.position_ms)
        elif isinstance(effect, machine.SetVolume) and self.current is not None:
            self.engine.set_volume(self.current, self._volume(effect.volume))
        elif isinstance(effect, machine.CountPlay):
            await self.db(record_play)(sound_id=effect.sound_id, user_id=None, source="player", room=self.room)
        elif isinstance(effect, machine.Warn):
            await publish_event(Toast(message=f"{effect.message} (room “{self.room}”)", level="warning"))

    async def _release_current(self) -> None:
        if self.current is not None:
            playback_id, self.current = self.current.id, None
            await asyncio.to_thread(self.engine.forget, playback_id)

    # --- libvlc reports --------------------------------------------------------------------------------------
    @staticmethod
    def owns(playback: Playback) -> bool:
        return playback.id.startswith(MUSIC_PREFIX)

    async def on_engine_event(self, kind: str, playback: Playback) -> None:
        async with self.lock:
            await self._on_engine_event(kind, playback)

    async def _on_engine_event(self, kind: str, playback: Playback) -> None:
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
        await self._refresh_queue()  # what plays next may be a queued sound
        if kind == "ended" and heard:
            await self.run(self.player.track_ended(playback=number))
        else:  # an error, or an end without a single sample: the file is broken
            await self.run(self.player.track_failed(playback=number))

    async def tick(self) -> None:
        """Position while playing; counts plays at 20 % and keeps browsers' progress bars moving; pauses the music
        when quiet hours begin."""
        async with self.lock:
            await self._watch_quiet()
            await self._tick()

    async def _watch_quiet(self, *, now: bool = False) -> None:
        """Music playing as a quiet period begins (a window starts, or staff add one covering now) pauses.

        Only at the beginning: music started during quiet hours was started by staff (everyone else is refused),
        which is their override, so it plays on. A period that begins while the player is stopped changes nothing.
        `now`: look at once, whenever the last look was (after a command).
        """
        clock = time.monotonic()
        if not now and clock - self._quiet_looked < QUIET_LOOK_S:
            return
        self._quiet_looked = clock
        period = await self.db(quiet.current)(room=self.room)
        began = period is not None and self._quiet is False
        self._quiet = period is not None
        if not began or self.player.state.status != "playing":
            return
        assert period is not None
        logger.info("Quiet hours began: pausing the music until %s", period.until_text)
        await self.run(self.player.pause())
        text = f"Quiet hours: the music is paused until {period.until_text} (room “{self.room}”)."
        await publish_event(Toast(message=text, level="warning"))

    async def _tick(self) -> None:
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

    # --- what the room hears -------------------------------------------------------------------------------
    def _volume(self, volume: int) -> int:
        """The level libvlc plays the current track at: the player's volume scaled by the track's own (a sound
        set to 50 % is 6 dB quieter as music too), and stepped back while a clip plays."""
        level = volume * self.track_volume / 100
        if self.ducked:
            level *= math.pow(10, -settings.PLAYER_DUCKING_DB / 20)
        return max(0, round(level))

    async def duck(self, on: bool) -> None:
        """While an instant clip plays, the music steps back by PLAYER_DUCKING_DB."""
        if on == self.ducked:
            return
        self.ducked = on
        if self.current is not None:
            self.engine.set_volume(self.current, self._volume(self.player.state.volume))
            await self.publish(save=False)  # without music nobody needs to hear about it
