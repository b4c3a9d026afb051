"""Loudness normalization on generated audio, checked independently with ffmpeg's ebur128 filter."""

from __future__ import annotations

import math
import subprocess

import pytest

from sounds import audio, normalizer
from sounds.models import NormalizationMode
from sounds.tests import media

TARGET, CEILING = -23.0, -2.0


def run(src, tmp_path, **kw):
    info = audio.probe(src)
    out = tmp_path / f"{src.stem}.norm.mp3"
    result = normalizer.normalize_file(
        src, out, duration_s=info.duration_ms / 1000, input_sample_rate=info.sample_rate, **kw
    )
    return result, out


@pytest.mark.parametrize(
    ("maker", "seconds", "ext"),
    [
        (media.tone, 0.5, ".wav"),
        (media.tone, 1.0, ".mp3"),
        (media.tone, 2.5, ".flac"),
        (media.noise, 4.0, ".ogg"),
        (media.tone, 12.0, ".m4a"),
        (media.noise, 60.0, ".flac"),
    ],
)
def test_clips_from_half_a_second_to_a_minute_hit_the_target(tmp_path, maker, seconds, ext):
    src = maker(tmp_path / f"clip{ext}", seconds)
    result, out = run(src, tmp_path)
    integrated, peak = media.loudness(out)
    assert abs(integrated - TARGET) <= 1.0, (integrated, result)
    assert peak <= CEILING + 0.1, (peak, result)
    assert result.mode in (NormalizationMode.LINEAR, NormalizationMode.DYNAMIC)
    # Trimmed back: the padding used for short clips never reaches the output (mp3 adds ~50 ms of priming).
    assert abs(audio.probe(out).duration_ms - seconds * 1000) < 80


def test_speech_is_normalized_linearly(tmp_path):
    src = media.speech(tmp_path / "speech.wav", "This sentence is long enough to be measured properly, I hope.")
    result, out = run(src, tmp_path)
    integrated, peak = media.loudness(out)
    assert abs(integrated - TARGET) <= 1.0
    assert peak <= CEILING + 0.1
    assert result.measurement is not None
    assert math.isfinite(result.measurement.input_i)


def test_a_loud_peaky_clip_falls_back_to_dynamic_and_respects_the_ceiling(tmp_path):
    # A quiet tone with full-scale clicks: a plain gain up to -23 LUFS would push the clicks over -2 dBTP.

    src = tmp_path / "peaky.wav"
    expr = r"aevalsrc=exprs=0.05*sin(2*PI*440*t)+if(lt(mod(t\,0.5)\,0.0001)\,0.99\,0):d=6:s=44100"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", expr, str(src)], check=True)
    result, out = run(src, tmp_path)
    assert result.mode == NormalizationMode.DYNAMIC
    _, peak = media.loudness(out)
    assert peak <= CEILING + 0.1


@pytest.mark.parametrize("seconds", [0.05, 0.2, 0.35])
def test_very_short_clips_get_a_peak_capped_gain(tmp_path, seconds):
    src = media.tone(tmp_path / "blip.wav", seconds, gain_db=-20)
    result, out = run(src, tmp_path)
    assert result.mode == NormalizationMode.PEAK
    _, peak = media.loudness(out)
    assert peak <= CEILING
    # It got louder: RMS moved towards the target.
    assert media.mean_volume(out) > media.mean_volume(src) + 5


def test_silence_is_reported_not_normalized(tmp_path):
    src = media.silence(tmp_path / "quiet.wav", 4)
    with pytest.raises(normalizer.SilentAudioError):
        run(src, tmp_path)
    assert not (tmp_path / "quiet.norm.mp3").exists()
    short = media.silence(tmp_path / "blip.wav", 0.2)
    with pytest.raises(normalizer.SilentAudioError):
        run(short, tmp_path)


def test_the_output_sample_rate_is_explicit(tmp_path):
    src = media.tone(tmp_path / "hires.flac", 4.0, rate=96000)
    _, out = run(src, tmp_path)
    assert audio.probe(out).sample_rate == 48000
    src = media.tone(tmp_path / "cd.wav", 4.0, rate=44100)
    _, out = run(src, tmp_path)
    assert audio.probe(out).sample_rate == 44100


def test_one_pass_is_used_when_asked(tmp_path):
    src = media.noise(tmp_path / "n.wav", 5)
    result, out = run(src, tmp_path, one_pass=True)
    assert result.mode == NormalizationMode.DYNAMIC
    assert abs(media.loudness(out)[0] - TARGET) <= 1.5


def test_non_finite_analysis_falls_back_to_one_pass(tmp_path, monkeypatch):
    src = media.noise(tmp_path / "n.wav", 5)
    real = normalizer.measure

    def odd_measure(path, targets):
        m = real(path, targets)
        m.input_lra = math.inf  # what loudnorm prints for some pathological inputs
        return m

    monkeypatch.setattr(normalizer, "measure", odd_measure)
    result, out = run(src, tmp_path)
    assert result.mode == NormalizationMode.DYNAMIC
    assert result.notes == ["analysis had non-finite values; used one-pass"]
    assert abs(media.loudness(out)[0] - TARGET) <= 1.5


def test_a_failed_render_leaves_no_partial_file(tmp_path):
    src = tmp_path / "garbage.wav"
    src.write_bytes(b"RIFF" + bytes(2000))
    out = tmp_path / "out" / "garbage.mp3"
    with pytest.raises(normalizer.NormalizationError):
        normalizer.normalize_file(src, out, duration_s=5.0, input_sample_rate=44100)
    assert list((tmp_path / "out").glob("*")) == [] if (tmp_path / "out").exists() else True
