"""The one libvlc instance of the host, and a playback per sound (clips overlap freely).

`PLAYER_AUDIO_OUTPUT` decides where audio goes:
- `auto`: libvlc's default output (the machine's speakers);
- `none`: nowhere, but in real time (a playback lasts as long as its sound);
- `file:DIR`: each playback is rendered, in real time, to its own WAV file in DIR.
For `none` and `file:` libvlc hands us the decoded samples (its "amem" callbacks). Those callbacks block
until each buffer's presentation time, exactly as a sound card would, so timing stays real; and the volume
is applied to the samples here, so what the file holds is what the room would have heard.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
import time
import warnings
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vlc

logger = logging.getLogger(__name__)

with warnings.catch_warnings():
    # audioop does the sample scaling in C; it is deprecated (gone in 3.13, where audioop-lts replaces it).
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 48000
CHANNELS = 2
SAMPLE_BYTES = 2
MAX_LEVEL = 200  # percent; a sound's own volume goes up to 200 %


@dataclass(frozen=True)
class Output:
    mode: str  # auto | none | file
    directory: Path | None = None

    @classmethod
    def parse(cls, value: str) -> Output:
        value = (value or "auto").strip()
        if value in ("auto", "none"):
            return cls(value)
        if value.startswith("file:") and len(value) > 5:
            return cls("file", Path(value[5:]).expanduser())
        raise ValueError(f"PLAYER_AUDIO_OUTPUT must be auto, none or file:DIR, not {value!r}")


# Event callbacks run on libvlc's threads, where calling back into libvlc can deadlock: the engine only
# forwards (kind, playback) to a handler that must hand the work to another thread.
EventHandler = Callable[[str, "Playback"], None]


@dataclass
class Playback:
    id: str
    path: Path
    label: str
    player: vlc.MediaPlayer
    volume: int = 100
    sound_id: int | None = None
    wav_path: Path | None = None
    started_at: float | None = None
    # time.monotonic() of the first samples reaching the output (libvlc's "playing" with a sound card), and
    # of when the first of them are due to be heard (their presentation time, which libvlc may set ahead).
    heard_at: float | None = None
    due_at: float | None = None
    stamps: list[tuple[str, float]] = field(default_factory=list)  # the daemon's earlier stages (runtime's)
    frames_written: int = 0
    on_first_audio: Callable[[], None] | None = None
    _heard: bool = False
    _wav: wave.Wave_write | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _callbacks: list[Any] = field(default_factory=list)  # keeps the ctypes callbacks alive

    def _play_samples(self, samples: int, count: int, pts: int, write: bool) -> None:
        if not self._heard:
            # The first decoded samples reaching the output: the honest moment a sound "plays".
            self._heard = True
            self.heard_at = time.monotonic()
            self.due_at = self.heard_at + max(0, pts - vlc.libvlc_clock()) / 1_000_000
            if self.on_first_audio is not None:
                self.on_first_audio()
        if write and self._wav is not None:
            data = ctypes.string_at(samples, count * CHANNELS * SAMPLE_BYTES)
            if self.volume != 100:
                data = _scale(data, self.volume / 100)
            with self._lock:
                if self._wav is not None:
                    # writeframes (not ...raw) patches the header each time: the file is valid even mid-play.
                    self._wav.writeframes(data)
                    self.frames_written += count
        # Block until the buffer is due, as a sound card would: this is what keeps the timing real.
        delay = pts - vlc.libvlc_clock()
        if delay > 0:
            time.sleep(delay / 1_000_000)

    def close_file(self) -> None:
        with self._lock:
            if self._wav is not None:
                self._wav.close()
                self._wav = None


def _scale(data: bytes, factor: float) -> bytes:
    return audioop.mul(data, SAMPLE_BYTES, max(0.0, factor))


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Media players made ahead of the clicks (`Engine.warm`): one click at a time takes one; a burst makes the rest
# on the spot.
WARM_PLAYERS = 2


@dataclass
class _Warm:
    """A media player made ahead, its events and (except with a sound card) sample callbacks attached; they reach
    `playback` once a play takes it."""

    player: vlc.MediaPlayer
    playback: Playback | None = None
    callbacks: list[Any] = field(default_factory=list)  # keeps the ctypes callbacks alive


class Engine:
    def __init__(self, output: Output, on_event: EventHandler) -> None:
        self.output = output
        self.on_event = on_event
        args = ["--no-video", "--quiet", "--no-xlib", "--intf=dummy"]
        self.instance = vlc.Instance(args)
        if self.instance is None:
            raise RuntimeError("libvlc could not start (are libvlc and its plugins installed?)")
        if output.directory is not None:
            output.directory.mkdir(parents=True, exist_ok=True)
        self.playbacks: dict[str, Playback] = {}
        self._lock = threading.Lock()
        self._warm: list[_Warm] = []

    def warm(self, count: int = WARM_PLAYERS) -> None:
        """Make media players ahead of the plays that will take them (call from a normal thread, off the click's
        path: the runtime calls it at start and after each clip started).

        A new libvlc media player costs several milliseconds (its audio output is made with it, and made again
        when the callbacks are set), and a click used to pay that between the command and `play()`."""
        while True:
            with self._lock:
                if len(self._warm) >= count:
                    return
            made = self._new_player()
            with self._lock:
                self._warm.append(made)

    def _new_player(self) -> _Warm:
        warm = _Warm(self.instance.media_player_new())
        events = warm.player.event_manager()
        if self.output.mode == "auto":
            # The sound card is libvlc's: its "playing" state is the best signal there is.
            events.event_attach(vlc.EventType.MediaPlayerPlaying, self._forward("playing", warm))
        else:
            # We receive the samples: "playing" is when the first ones arrive (garbage never gets there).
            self._attach_callbacks(warm)
        for kind, event_type in (
            ("ended", vlc.EventType.MediaPlayerEndReached),
            ("error", vlc.EventType.MediaPlayerEncounteredError),
        ):
            events.event_attach(event_type, self._forward(kind, warm))
        return warm

    def play(self, path: Path, *, playback_id: str, label: str, volume: int = 100) -> Playback:
        with self._lock:
            warm = self._warm.pop() if self._warm else None
        if warm is None:
            warm = self._new_player()  # none made ahead (several plays at once): made now, as before
        player = warm.player
        playback = Playback(id=playback_id, path=path, label=label, player=player, volume=volume)
        playback._callbacks = warm.callbacks
        if self.output.mode == "auto":
            player.audio_set_volume(volume)
        else:
            playback.on_first_audio = lambda: self.on_event("playing", playback)
            if self.output.mode == "file":
                self._open_file(playback)
        warm.playback = playback  # from here on libvlc's callbacks and events reach this playback
        media = self.instance.media_new_path(str(path))
        player.set_media(media)
        media.release()
        with self._lock:
            self.playbacks[playback_id] = playback
        playback.started_at = time.monotonic()
        if player.play() != 0:
            self.forget(playback_id)
            raise RuntimeError(f"libvlc refused to play {path.name}")
        return playback

    def _forward(self, kind: str, warm: _Warm) -> Callable[[Any], None]:
        def handler(event: Any) -> None:
            playback = warm.playback
            if playback is None:
                return
            if kind == "playing" and playback.heard_at is None:
                playback.heard_at = playback.due_at = time.monotonic()
            self.on_event(kind, playback)

        return handler

    def _open_file(self, playback: Playback) -> None:
        assert self.output.directory is not None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = _SAFE.sub("_", playback.label)[:60] or "sound"
        playback.wav_path = self.output.directory / f"{stamp}-{playback.id}-{name}.wav"
        wav = wave.open(str(playback.wav_path), "wb")  # noqa: SIM115  (closed when the playback ends)
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_BYTES)
        wav.setframerate(RATE)
        playback._wav = wav

    def _attach_callbacks(self, warm: _Warm) -> None:
        write = self.output.mode == "file"

        def play(data: Any, samples: int, count: int, pts: int) -> None:
            playback = warm.playback
            if playback is not None:
                playback._play_samples(samples, count, pts, write)

        def ignore_pts(data: Any, pts: int) -> None:
            return None

        def ignore(data: Any) -> None:
            return None

        # ctypes trampolines (python-vlc is untyped, so these are Any); kept with the player (then its
        # playback) so they outlive this call: libvlc calls them from its own threads until the player is released.
        decorators = vlc.CallbackDecorators
        play_cb = decorators.AudioPlayCb(play)
        pause_cb = decorators.AudioPauseCb(ignore_pts)
        resume_cb = decorators.AudioResumeCb(ignore_pts)
        flush_cb = decorators.AudioFlushCb(ignore_pts)
        drain_cb = decorators.AudioDrainCb(ignore)
        warm.callbacks = [play_cb, pause_cb, resume_cb, flush_cb, drain_cb]
        warm.player.audio_set_callbacks(play_cb, pause_cb, resume_cb, flush_cb, drain_cb, None)
        warm.player.audio_set_format("S16N", RATE, CHANNELS)

    def set_volume(self, playback: Playback, volume: int) -> None:
        # Up to 200 %: a track's own volume may double the player's (libvlc amplifies above 100 as well).
        playback.volume = max(0, min(MAX_LEVEL, volume))
        if self.output.mode == "auto":
            playback.player.audio_set_volume(playback.volume)

    def forget(self, playback_id: str) -> Playback | None:
        """Stop and release one playback (call from a normal thread, never from a libvlc callback)."""
        with self._lock:
            playback = self.playbacks.pop(playback_id, None)
        if playback is not None:
            playback.player.stop()
            playback.close_file()
            playback.player.release()
        return playback

    def stop_all(self, which: Callable[[Playback], bool] | None = None) -> list[Playback]:
        with self._lock:
            ids = [pid for pid, p in self.playbacks.items() if which is None or which(p)]
        return [p for p in (self.forget(playback_id) for playback_id in ids) if p is not None]

    def release(self) -> None:
        self.stop_all()
        with self._lock:
            spare, self._warm = self._warm, []
        for warm in spare:
            warm.player.release()
        self.instance.release()
