"""The shared music player as a pure state machine: it decides, the daemon acts.

Nothing here touches libvlc, the database, Redis or the clock. Every command mutates `MusicPlayer.state` and
returns a list of *effects* that the runtime executes in order:

- `Load(track, position_ms, volume, playback)`: replace whatever is playing with `track` and start playing it
  from `position_ms` at `volume`. `playback` numbers this playback; the runtime passes it back to `tick`,
  `track_ended` and `track_failed` so a late libvlc event about an older playback is ignored.
- `Pause()`, `Resume()`, `Stop()`: the current playback. `Stop()` is emitted whenever the player goes from
  playing or paused to stopped (also when a track ended by itself, so the runtime can release the media).
- `Seek(position_ms)`, `SetVolume(volume)`: the current playback.
- `CountPlay(sound_id)`: the current playback reached 20% of its track: record a play of that sound.
- `Warn(message)`: something the room should be told (a track that could not be played).

Commands (their names, used by `apply` and `starts_playback`) and rules:

- `play`: stopped → load the current track (the first one if none); paused → resume; playing → nothing.
- `pause`, `stop`: no-ops when already paused/stopped. `stop` keeps the current track and rewinds it.
- `next`, `previous`, `play_index`: always end up playing. A user's `next` goes to the following track in
  every mode (wrapping from the last to the first), or to a random other track in `random` mode. `previous`
  restarts the current track when more than 3 s of it were played, else goes to the preceding track (wrapping
  from the first to the last; playlist order in every mode).
- `seek`: allowed while playing, paused, or stopped with a current track (the next `play` starts there).
- `set_volume`, `set_mode`: free, immediate, never interrupt playback.
- `load_playlist`: the reload rules, see `MusicPlayer.load_playlist`.

Runtime events: `tick(position_ms)` every 200 to 1000 ms while playing, `track_ended()` when libvlc reaches the end
of the media, `track_failed()` when the file is missing or undecodable.

Auto-advance at the end of a track, per mode:

- `continuous`: the next track; after the last one the player stops and goes back to the *first* track, so
  `play` starts the playlist over.
- `loop`: the next track, the first one after the last.
- `loop_one`: the same track again (a new playback, counted again).
- `random`: a random track, never the one just played (unless the playlist has a single track).
- `single`: stop, staying on the track that just played.

Play counting: the time actually heard (`tick` progress; seeks are not heard) is summed per playback, and
`CountPlay` is emitted once per playback when it reaches 20% of the duration. A playback is one `Load`:
resuming after a pause or seeking back is the same playback, `loop_one`'s repeat, `play_index`, `previous`
and `next` are new ones.

Persistence: `PlayerState.to_dict()` / `PlayerState.from_dict()`; after a restart of the player process use
`MusicPlayer.restore(data)`, which keeps mode, volume, playlist and current track but starts stopped, then
reload the playlist from the database with `load_playlist` (same id: the current track is followed).
"""

from __future__ import annotations

import inspect
import random
from dataclasses import dataclass, field
from typing import Any, cast

from core.errors import UserError

# The choices are the protocol's: one definition for the machine, the API schemas and the forms.
from player.protocol import DEFAULT_MODE as DEFAULT_MODE
from player.protocol import DEFAULT_VOLUME as DEFAULT_VOLUME
from player.protocol import MODES as MODES
from player.protocol import STATUSES as STATUSES
from player.protocol import Mode as Mode
from player.protocol import Status as Status

PLAY_COUNT_FRACTION = 0.2  # share of a track that must be heard for a play to count
PREVIOUS_RESTARTS_AFTER_MS = 3000  # `previous` restarts the current track past this position
MAX_TICK_STEP_MS = 5000  # a larger jump between two ticks is a seek we were not told about, not listening

# Commands a user sends. Those in USER_PLAYBACK_COMMANDS may start a playback (and may cost credits, decided
# elsewhere); see `starts_playback`. Auto-advance (`track_ended`, `track_failed`) is never a user's doing.
USER_PLAYBACK_COMMANDS = frozenset({"play", "play_index", "next", "previous"})
FREE_COMMANDS = frozenset({"pause", "stop", "seek", "set_volume", "set_mode", "load_playlist"})
COMMANDS = USER_PLAYBACK_COMMANDS | FREE_COMMANDS


class PlayerError(UserError):
    """A command that cannot be carried out; `detail` is meant for the user, `status` is an HTTP status."""


@dataclass(frozen=True)
class Track:
    sound_id: int
    name: str
    duration_ms: int
    path: str
    item_id: int | None = None  # a queued track's row (`player.models.QueueItem`); never saved with the state

    def to_dict(self, *, include_path: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"sound_id": self.sound_id, "name": self.name, "duration_ms": self.duration_ms}
        if include_path:
            data["path"] = self.path
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Track:
        return cls(
            sound_id=int(data["sound_id"]),
            name=str(data.get("name", "")),
            duration_ms=max(0, int(data.get("duration_ms") or 0)),
            path=str(data.get("path", "")),
        )


# --- Effects ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """Replace the current playback with `track`, playing from `position_ms` at `volume`."""

    track: Track
    position_ms: int = 0
    volume: int = DEFAULT_VOLUME
    playback: int = 0


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Seek:
    position_ms: int


@dataclass(frozen=True)
class SetVolume:
    volume: int


@dataclass(frozen=True)
class CountPlay:
    sound_id: int


@dataclass(frozen=True)
class Warn:
    message: str


Effect = Load | Stop | Pause | Resume | Seek | SetVolume | CountPlay | Warn


# --- State -----------------------------------------------------------------------------------------------


@dataclass
class PlayerState:
    status: Status = "stopped"
    mode: Mode = DEFAULT_MODE
    volume: int = DEFAULT_VOLUME
    current_index: int | None = None
    current_sound_id: int | None = None
    position_ms: int = 0
    duration_ms: int = 0
    playlist_id: int | None = None
    playlist_name: str = ""
    tracks: list[Track] = field(default_factory=list)
    # Bumped whenever the track list is (re)loaded: the published state carries it instead of the tracks, and
    # pages fetch the list again when it changes.
    tracks_version: int = 0
    # The shared up-next list, played ahead of the playlist (the daemon loads it from the database), and the
    # queued track now playing or paused: while there is one it is the current track and `current_index` stays on
    # the playlist's track, so the playlist goes on from `after_queue` (None: stop) when the queue runs out.
    queue: list[Track] = field(default_factory=list)
    queue_version: int = 0
    queued: Track | None = None
    after_queue: int | None = None

    @property
    def length(self) -> int:
        return len(self.tracks)

    @property
    def total_duration_ms(self) -> int:
        return sum(track.duration_ms for track in self.tracks)

    @property
    def current_track(self) -> Track | None:
        if self.queued is not None:
            return self.queued
        if self.current_index is None or not 0 <= self.current_index < len(self.tracks):
            return None
        return self.tracks[self.current_index]

    def to_dict(self, *, include_paths: bool = True) -> dict[str, Any]:
        """A JSON-able snapshot. Leave the file paths out (`include_paths=False`) for browsers."""
        return {
            "status": self.status,
            "mode": self.mode,
            "volume": self.volume,
            "current_index": self.current_index,
            "current_sound_id": self.current_sound_id,
            "position_ms": self.position_ms,
            "duration_ms": self.duration_ms,
            "playlist_id": self.playlist_id,
            "playlist_name": self.playlist_name,
            "length": self.length,
            "total_duration_ms": self.total_duration_ms,
            "tracks": [track.to_dict(include_path=include_paths) for track in self.tracks],
            "tracks_version": self.tracks_version,
        }

    def public_dict(self) -> dict[str, Any]:
        """What every browser is told every second: the current track, the length and the tracks' version.

        Not the tracks themselves: a 500-track playlist would make every tick a large message to every socket.
        """
        data = self.to_dict(include_paths=False)
        del data["tracks"]
        track = self.current_track
        data["current_track"] = track.to_dict(include_path=False) if track else None
        if self.queued is not None:
            data["current_index"] = None  # no playlist track is playing
        data["from_queue"] = self.queued is not None
        data["queue_length"] = len(self.queue)
        data["queue_version"] = self.queue_version
        data["up_next"] = self.queue[0].to_dict(include_path=False) if self.queue else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlayerState:
        """The inverse of `to_dict`, forgiving: a stale or damaged snapshot gives a sane state, never an error."""
        tracks: list[Track] = []
        for item in data.get("tracks") or []:
            try:
                tracks.append(Track.from_dict(item))
            except (KeyError, TypeError, ValueError):
                continue
        status = data.get("status")
        mode = data.get("mode")
        volume = _int_or(data.get("volume"), DEFAULT_VOLUME)
        playlist_id = data.get("playlist_id")
        state = cls(
            status=cast(Status, status) if status in STATUSES else "stopped",
            mode=cast(Mode, mode) if mode in MODES else DEFAULT_MODE,
            volume=min(100, max(0, volume)),
            playlist_id=playlist_id if isinstance(playlist_id, int) and not isinstance(playlist_id, bool) else None,
            playlist_name=str(data.get("playlist_name") or ""),
            tracks=tracks,
            position_ms=max(0, _int_or(data.get("position_ms"), 0)),
            duration_ms=max(0, _int_or(data.get("duration_ms"), 0)),
            tracks_version=max(0, _int_or(data.get("tracks_version"), 0)),
        )
        index = data.get("current_index")
        if tracks:
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(tracks):
                index = 0
                state.status = "stopped"
                state.position_ms = 0
                state.duration_ms = tracks[0].duration_ms
            state.current_index = index
            state.current_sound_id = tracks[index].sound_id
        else:
            state.status = "stopped"
            state.position_ms = state.duration_ms = 0
        return state


def _int_or(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _require_int(value: Any, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlayerError(message)
    return value


def starts_playback(command: str, state_before: PlayerState) -> bool:
    """Whether `command`, sent by a user in `state_before`, starts a playback (the paid kind).

    `play` only from stopped (resuming a pause is free); `play_index`, `next` and `previous` always, as long as
    there is something to play. Everything else is free: pause, stop, seek, volume, mode, playlist loads, and
    auto-advance (which is not a user command at all). Decide before calling the command; a command that
    raises `PlayerError` played nothing.
    """
    if command not in COMMANDS:
        raise ValueError(f"Unknown player command {command!r}.")
    if command not in USER_PLAYBACK_COMMANDS or not (state_before.tracks or state_before.queue):
        return False
    if command == "play":
        return state_before.status == "stopped"
    return True


class MusicPlayer:
    """The player's decisions. Methods mutate `state` and return the effects the runtime must execute."""

    def __init__(self, state: PlayerState | None = None, rng: random.Random | None = None) -> None:
        self.state = state if state is not None else PlayerState()
        self.rng = rng if rng is not None else random.Random()
        self.playback = 0  # number of the current playback, see `Load.playback`
        self._heard_ms = 0  # of the current playback
        self._counted = False  # the current playback's play was counted
        self._failed: set[int] = set()  # indices that failed in a row, since the last track that played

    @classmethod
    def restore(cls, data: dict[str, Any], rng: random.Random | None = None) -> MusicPlayer:
        """A player for a freshly started process: the saved state, but nothing is playing any more."""
        state = PlayerState.from_dict(data)
        state.status = "stopped"
        state.position_ms = 0
        current = state.current_track
        state.duration_ms = current.duration_ms if current else 0
        return cls(state, rng)

    def apply(self, command: str, **params: Any) -> list[Effect]:
        """Run a user command by name (see `COMMANDS`) with its parameters, e.g. `apply("seek", ms=1500)`."""
        if command not in COMMANDS:
            raise PlayerError(f"Unknown player command “{command}”.")
        method = getattr(self, command)
        try:
            inspect.signature(method).bind(**params)
        except TypeError as exc:
            raise PlayerError(f"Wrong parameters for “{command}”.") from exc
        result: list[Effect] = method(**params)
        return result

    # --- user commands -------------------------------------------------------------------------------------

    def play(self) -> list[Effect]:
        state = self.state
        if state.status == "playing":
            return []
        if state.status == "paused":
            state.status = "playing"
            return [Resume()]
        if state.queue:
            after = state.current_index if state.current_track is not None else (0 if state.tracks else None)
            return self._start_queued(after)
        self._require_tracks()
        index = state.current_index if state.current_track is not None else 0
        assert index is not None
        self._failed.clear()
        return self._start(index, position_ms=state.position_ms if index == state.current_index else 0)

    def pause(self) -> list[Effect]:
        if self.state.status != "playing":
            return []
        self.state.status = "paused"
        return [Pause()]

    def stop(self) -> list[Effect]:
        return self._halt()

    def next(self) -> list[Effect]:
        state = self.state
        if state.queue:
            self._failed.clear()
            after = state.after_queue if state.queued is not None else self._successor(failed=False, user=True)
            return self._start_queued(after)
        if state.queued is not None and state.tracks:
            return self._leave_queue()
        self._require_tracks()
        self._failed.clear()
        if self.state.mode == "random":
            return self._start(self._random_index())
        index = self.state.current_index if self.state.current_track is not None else -1
        assert index is not None
        return self._start((index + 1) % len(self.state.tracks))

    def previous(self) -> list[Effect]:
        state = self.state
        self._require_tracks()
        self._failed.clear()
        if state.queued is not None:  # back from the queued track to the playlist's
            return self._start(state.current_index if state.current_index is not None else 0)
        if state.current_track is not None and state.position_ms > PREVIOUS_RESTARTS_AFTER_MS:
            assert state.current_index is not None
            return self._start(state.current_index)
        index = state.current_index if state.current_track is not None else 0
        assert index is not None
        return self._start((index - 1) % len(state.tracks))

    def play_index(self, index: int) -> list[Effect]:
        index = _require_int(index, "The track number must be a whole number.")
        self._require_tracks()
        last = len(self.state.tracks) - 1
        if not 0 <= index <= last:
            raise PlayerError(f"There is no track {index}: the playlist has tracks 0 to {last}.")
        self._failed.clear()
        return self._start(index)

    def seek(self, ms: int) -> list[Effect]:
        ms = _require_int(ms, "The position must be a whole number of milliseconds.")
        state = self.state
        if state.current_track is None:
            raise PlayerError("No track is loaded, so there is nothing to seek in.")
        if ms < 0 or (state.duration_ms > 0 and ms > state.duration_ms):
            raise PlayerError(f"The position must be between 0 and {state.duration_ms} ms.")
        state.position_ms = ms  # not heard: seeking never counts towards a play
        if state.status == "stopped":
            return []  # the next `play` starts there
        return [Seek(ms)]

    def set_volume(self, volume: int) -> list[Effect]:
        if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100:
            raise PlayerError("Volume must be between 0 and 100.")
        if volume == self.state.volume:
            return []
        self.state.volume = volume
        return [SetVolume(volume)]

    def set_mode(self, mode: str) -> list[Effect]:
        if mode not in MODES:
            raise PlayerError(f"Unknown mode “{mode}”: choose one of {', '.join(MODES)}.")
        self.state.mode = mode
        return []

    def load_playlist(self, playlist_id: int, name: str, tracks: list[Track]) -> list[Effect]:
        """Load a playlist, or reload the current one after it changed.

        - Empty playlist: stop and clear the current track (index None).
        - Another playlist (or none before): stop and take its first track.
        - Same playlist, current track still there: follow it to its new index without interrupting it (matched
          by sound id; several occurrences: the one nearest the old index, the earlier one on a tie).
        - Same playlist, current track removed (or none before): stop and take the first track.
        """
        state = self.state
        tracks = list(tracks)
        same = playlist_id == state.playlist_id
        old_index = state.current_index
        old_track = state.tracks[old_index] if old_index is not None and 0 <= old_index < len(state.tracks) else None
        old_sound = old_track.sound_id if old_track is not None else None
        state.playlist_id = playlist_id
        state.playlist_name = name
        state.tracks = tracks
        state.tracks_version += 1
        self._failed.clear()
        if same and state.queued is not None:
            # An edit of the playlist under a queued track: the queued track plays on, the playlist resumes after.
            matches = [i for i, track in enumerate(tracks) if track.sound_id == old_sound]
            anchor = old_index if old_index is not None else 0
            state.current_index = (
                min(matches, key=lambda i: (abs(i - anchor), i)) if matches else (0 if tracks else None)
            )
            if state.after_queue is not None and state.after_queue >= len(tracks):
                state.after_queue = None
            return []
        if not tracks:
            effects = self._halt()
            state.current_index = state.current_sound_id = None
            state.duration_ms = 0
            return effects
        if same and old_sound is not None:
            matches = [i for i, track in enumerate(tracks) if track.sound_id == old_sound]
            if matches:
                anchor = old_index if old_index is not None else 0
                state.current_index = min(matches, key=lambda i: (abs(i - anchor), i))
                if state.status == "stopped":
                    state.duration_ms = tracks[state.current_index].duration_ms
                return []
        effects = self._halt()
        self._select(0)
        return effects

    # --- runtime events ------------------------------------------------------------------------------------

    def tick(self, position_ms: int, duration_ms: int | None = None, playback: int | None = None) -> list[Effect]:
        """The current position as libvlc reports it (and its duration once known); counts the play at 20%."""
        state = self.state
        if self._stale(playback) or state.status == "stopped":
            return []
        position_ms = max(0, int(position_ms))
        if duration_ms is not None and duration_ms > 0:
            state.duration_ms = int(duration_ms)
        if state.status == "playing":
            step = position_ms - state.position_ms
            if 0 < step <= MAX_TICK_STEP_MS:
                self._heard_ms += step
                self._failed.clear()  # this track does play
        state.position_ms = position_ms
        return self._count_if_due()

    def track_ended(self, playback: int | None = None) -> list[Effect]:
        """The media reached its end: count it if due, then auto-advance per mode."""
        state = self.state
        if self._stale(playback) or state.status == "stopped":
            return []
        if state.status == "paused":  # ended under a pause: nothing more will be heard
            return self._halt()
        self._heard_ms += max(0, state.duration_ms - state.position_ms)  # the rest up to the end was heard
        self._failed.clear()
        effects = self._count_if_due()
        return effects + self._advance(failed=False)

    def track_failed(self, playback: int | None = None) -> list[Effect]:
        """The current file is missing or undecodable: warn and skip it as auto-advance would.

        `loop_one` moves on like `loop` (repeating a broken file is pointless), `single` and the end of a
        `continuous` playlist stop. When every track failed in a row, the player stops.
        """
        state = self.state
        track = state.current_track
        if self._stale(playback) or state.status == "stopped" or track is None:
            return []
        effects: list[Effect] = [Warn(f"“{track.name}” could not be played and was skipped.")]
        if state.queued is not None:
            return effects + self._advance(failed=True)
        assert state.current_index is not None
        self._failed.add(state.current_index)
        if len(self._failed) >= len(state.tracks):
            self._failed.clear()
            effects += self._halt()
            effects.append(Warn("None of the playlist's tracks could be played, so the player stopped."))
            return effects
        return effects + self._advance(failed=True)

    # --- internals -----------------------------------------------------------------------------------------

    def _stale(self, playback: int | None) -> bool:
        return playback is not None and playback != self.playback

    def _require_tracks(self) -> None:
        if self.state.playlist_id is None and not self.state.tracks:
            raise PlayerError("No playlist is loaded.")
        if not self.state.tracks:
            raise PlayerError("The playlist is empty.")

    def _select(self, index: int) -> None:
        """Make `index` the current track, stopped at its start."""
        state = self.state
        track = state.tracks[index]
        state.queued = None
        state.after_queue = None
        state.current_index = index
        state.current_sound_id = track.sound_id
        state.position_ms = 0
        state.duration_ms = track.duration_ms

    def _start(self, index: int, position_ms: int = 0) -> list[Effect]:
        """A new playback of track `index`."""
        state = self.state
        self._select(index)
        state.position_ms = position_ms
        state.status = "playing"
        self.playback += 1
        self._heard_ms = 0
        self._counted = False
        return [Load(state.tracks[index], position_ms, state.volume, self.playback)]

    def _halt(self) -> list[Effect]:
        """Stopped, on the same track, rewound."""
        state = self.state
        state.position_ms = 0
        if state.queued is not None:  # a stopped queued track is done with: back on the playlist's track
            state.queued = None
            state.after_queue = None
            current = state.current_track
            state.current_sound_id = current.sound_id if current is not None else None
            state.duration_ms = current.duration_ms if current is not None else 0
        if state.status == "stopped":
            return []
        state.status = "stopped"
        return [Stop()]

    def _count_if_due(self) -> list[Effect]:
        state = self.state
        if self._counted or state.current_sound_id is None or self._heard_ms <= 0:
            return []
        if self._heard_ms < state.duration_ms * PLAY_COUNT_FRACTION:
            return []
        self._counted = True
        return [CountPlay(state.current_sound_id)]

    def _following_index(self, *, wrap: bool) -> int | None:
        """The next track in playlist order; after the last one the first (`wrap`) or None."""
        state = self.state
        index = state.current_index if state.current_index is not None else -1
        if index + 1 < len(state.tracks):
            return index + 1
        return 0 if wrap else None

    def _random_index(self) -> int:
        """A random track other than the current one and the ones that just failed (if any is left)."""
        state = self.state
        count = len(state.tracks)
        if count == 1:
            return 0
        candidates = [i for i in range(count) if i != state.current_index and i not in self._failed]
        if not candidates:
            candidates = [i for i in range(count) if i != state.current_index]
        return self.rng.choice(candidates)

    def _advance(self, *, failed: bool) -> list[Effect]:
        state = self.state
        mode = state.mode
        if mode == "single":
            return self._halt()
        if state.queue:
            after = state.after_queue if state.queued is not None else self._successor(failed=failed, user=False)
            return self._start_queued(after)
        if state.queued is not None:
            return self._leave_queue()
        if mode == "loop_one" and not failed:
            assert state.current_index is not None
            return self._start(state.current_index)
        if mode == "random":
            return self._start(self._random_index())
        following = self._following_index(wrap=mode in ("loop", "loop_one"))
        if following is None:  # continuous, after the last track: back to the first one, stopped
            effects = self._halt()
            self._select(0)
            return effects
        return self._start(following)

    # --- the queue -----------------------------------------------------------------------------------------

    def set_queue(self, tracks: list[Track]) -> list[Effect]:
        """The up-next list as the database has it now (the daemon reloads it after every change). Free."""
        if [t.item_id for t in tracks] != [t.item_id for t in self.state.queue]:
            self.state.queue_version += 1
        self.state.queue = list(tracks)
        return []

    def _successor(self, *, failed: bool, user: bool) -> int | None:
        """The playlist track that follows the current one (what plays once the queue runs out); None: stop."""
        state = self.state
        if not state.tracks:
            return None
        if state.mode == "loop_one" and not failed and not user:
            return state.current_index if state.current_index is not None else 0
        if state.mode == "random":
            return self._random_index()
        return self._following_index(wrap=user or state.mode in ("loop", "loop_one"))

    def _start_queued(self, after: int | None) -> list[Effect]:
        """A new playback of the first queued track; its `item_id` tells the daemon which row it takes."""
        state = self.state
        track = state.queue.pop(0)
        state.queue_version += 1
        state.queued = track
        state.after_queue = after
        state.current_sound_id = track.sound_id
        state.position_ms = 0
        state.duration_ms = track.duration_ms
        state.status = "playing"
        self.playback += 1
        self._heard_ms = 0
        self._counted = False
        return [Load(track, 0, state.volume, self.playback)]

    def _leave_queue(self) -> list[Effect]:
        """The queue ran out: the playlist goes on where it was (or stops, as at the end of a continuous list)."""
        state = self.state
        after = state.after_queue
        if after is None or not 0 <= after < len(state.tracks):
            effects = self._halt()
            if state.tracks:
                self._select(0)
            else:
                state.current_index = state.current_sound_id = None
                state.duration_ms = 0
            return effects
        return self._start(after)
