"""libvlc in this process, rendering to files: real decoding, real timing."""

from __future__ import annotations

import audioop
import threading
import time
import wave
from collections import defaultdict

import pytest

from player.daemon.engine import Engine, Output
from sounds.tests import media


class Events:
    def __init__(self) -> None:
        self.seen: dict[str, dict[str, threading.Event]] = defaultdict(lambda: defaultdict(threading.Event))
        self.times: dict[tuple[str, str], float] = {}

    def __call__(self, kind, playback) -> None:
        self.times[(kind, playback.id)] = time.monotonic()
        self.seen[playback.id][kind].set()

    def wait(self, playback_id: str, kind: str, timeout: float = 15) -> None:
        assert self.seen[playback_id][kind].wait(timeout), f"no {kind} for {playback_id}"


def wav_stats(path):

    with wave.open(str(path)) as w:
        frames = w.getnframes()
        data = w.readframes(frames)
        return frames / w.getframerate(), audioop.rms(data, w.getsampwidth())


@pytest.fixture
def engine_factory():
    engines = []

    def make(output):
        events = Events()
        engine = Engine(output, events)
        engines.append(engine)
        return engine, events

    yield make
    for engine in engines:
        engine.release()


def test_each_playback_renders_its_own_wav_as_long_as_the_sound(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse(f"file:{tmp_path / 'out'}"))
    clip = media.tone(tmp_path / "clip.wav", 1.2, freq=660, gain_db=-3)
    playback = engine.play(clip, playback_id="one", label="Clip <1>")
    events.wait("one", "playing")
    events.wait("one", "ended")
    engine.forget("one")
    assert playback.wav_path is not None
    assert playback.wav_path.name.endswith("-one-Clip_1_.wav")
    seconds, rms = wav_stats(playback.wav_path)
    assert abs(seconds - 1.2) < 0.1
    assert rms > 1000  # a -3 dB tone, not silence
    # Real time: the playback took about as long as the sound.
    assert events.times[("ended", "one")] - events.times[("playing", "one")] > 1.0


def test_clips_overlap_each_in_its_own_player(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse(f"file:{tmp_path / 'out'}"))
    a = media.tone(tmp_path / "a.wav", 1.0, freq=440)
    b = media.noise(tmp_path / "b.flac", 0.6)
    pa = engine.play(a, playback_id="a", label="a")
    pb = engine.play(b, playback_id="b", label="b")
    for pid in ("a", "b"):
        events.wait(pid, "ended")
    assert events.times[("playing", "b")] < events.times[("ended", "a")]  # b started while a played
    assert abs(wav_stats(pa.wav_path)[0] - 1.0) < 0.1
    assert abs(wav_stats(pb.wav_path)[0] - 0.6) < 0.1


def test_stop_all_cuts_every_playback_short(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse(f"file:{tmp_path / 'out'}"))
    long = media.tone(tmp_path / "long.wav", 6.0)
    playback = engine.play(long, playback_id="long", label="long")
    events.wait("long", "playing")
    assert [p.id for p in engine.stop_all()] == ["long"]
    assert engine.playbacks == {}
    seconds, _ = wav_stats(playback.wav_path)
    assert seconds < 5.0


def test_a_file_libvlc_cannot_play_reports_an_error(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse("none"))
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00garbage" * 500)
    engine.play(junk, playback_id="junk", label="junk")
    deadline = time.monotonic() + 15
    while not (events.seen["junk"]["error"].is_set() or events.seen["junk"]["ended"].is_set()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not events.seen["junk"]["playing"].is_set() or events.seen["junk"]["ended"].is_set()


def test_none_output_keeps_real_timing(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse("none"))
    clip = media.tone(tmp_path / "c.wav", 1.0)
    engine.play(clip, playback_id="c", label="c")
    events.wait("c", "ended")
    assert events.times[("ended", "c")] - events.times[("playing", "c")] > 0.85


def test_volume_is_applied_to_rendered_audio(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse(f"file:{tmp_path / 'out'}"))
    clip = media.tone(tmp_path / "v.wav", 0.8, gain_db=-3)
    loud = engine.play(clip, playback_id="loud", label="loud")
    events.wait("loud", "ended")
    quiet = engine.play(clip, playback_id="quiet", label="quiet", volume=25)
    events.wait("quiet", "ended")
    ratio = wav_stats(quiet.wav_path)[1] / wav_stats(loud.wav_path)[1]
    assert 0.2 < ratio < 0.3


@pytest.mark.parametrize("value", ["", "file:", "speakers", "file"])
def test_bad_output_settings_are_refused(value):
    if value == "":
        assert Output.parse(value).mode == "auto"
        return
    with pytest.raises(ValueError, match="PLAYER_AUDIO_OUTPUT"):
        Output.parse(value)


def test_a_play_takes_a_media_player_made_ahead_and_hears_its_first_samples(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse(f"file:{tmp_path / 'out'}"))
    engine.warm(2)
    spare = [warm.player for warm in engine._warm]
    assert len(spare) == 2
    clip = media.tone(tmp_path / "clip.wav", 0.5, freq=440, gain_db=-3)
    playback = engine.play(clip, playback_id="warm", label="warm")
    assert playback.player in spare  # no new media player on the click's path
    assert len(engine._warm) == 1
    events.wait("warm", "playing")
    # The first samples are stamped as they reach the output, after play() was called, and are due no earlier.
    assert playback.started_at is not None
    assert playback.heard_at is not None
    assert playback.due_at is not None
    assert playback.started_at <= playback.heard_at <= playback.due_at
    events.wait("warm", "ended")
    engine.forget("warm")
    assert playback.wav_path is not None
    seconds, rms = wav_stats(playback.wav_path)
    assert abs(seconds - 0.5) < 0.1
    assert rms > 1000
    engine.warm(2)
    assert len(engine._warm) == 2


def test_plays_past_the_warm_players_get_players_made_on_the_spot(engine_factory, tmp_path):
    engine, events = engine_factory(Output.parse(f"file:{tmp_path / 'out'}"))
    engine.warm(1)
    clip = media.tone(tmp_path / "clip.wav", 0.4, freq=440, gain_db=-3)
    first = engine.play(clip, playback_id="first", label="first")
    second = engine.play(clip, playback_id="second", label="second")
    assert first.player is not second.player
    for playback in (first, second):
        events.wait(playback.id, "ended")
        engine.forget(playback.id)
        assert playback.wav_path is not None
        assert wav_stats(playback.wav_path)[1] > 1000  # each heard in its own player, none silent
    assert engine._warm == []
