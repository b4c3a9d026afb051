"""Child processes run inside CPU-time, file-size and length limits; real processes are stopped by them."""

from __future__ import annotations

import sys
import time

import pytest

from sounds import audio, limits, normalizer, services
from sounds.models import Sound
from sounds.tests import media


def test_a_child_that_spins_is_stopped_by_its_cpu_limit():
    started = time.monotonic()
    with pytest.raises(limits.ChildLimitExceeded, match="processing time"):
        limits.run([sys.executable, "-c", "while True: pass"], timeout=60, cpu_s=1)
    assert time.monotonic() - started < 10  # the CPU limit, not the 60 s wall timeout


def test_a_child_that_writes_without_end_is_stopped_by_its_file_size_limit(tmp_path):
    out = tmp_path / "big"
    with pytest.raises(limits.ChildLimitExceeded, match="too large"):
        limits.run(["dd", "if=/dev/zero", f"of={out}", "bs=65536", "count=1000"], timeout=60, fsize_bytes=1024 * 1024)
    assert out.stat().st_size <= 1024 * 1024


def test_ffmpeg_itself_runs_under_the_limits(tmp_path):
    """ffmpeg writing a long WAV hits the file-size limit instead of filling the disk."""
    out = tmp_path / "long.wav"
    with pytest.raises(limits.ChildLimitExceeded):
        limits.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=600", str(out)],
            timeout=120,
            fsize_bytes=512 * 1024,
        )
    assert out.stat().st_size <= 512 * 1024


def test_decoding_for_the_length_stops_at_the_cap(tmp_path):
    liar = media.lying_flac(tmp_path / "liar.flac", real_seconds=7200)
    started = time.monotonic()
    assert audio.decoded_duration_ms(liar, cap_s=11) == 11000
    assert time.monotonic() - started < 10


def test_the_normalizer_reads_no_more_than_the_longest_track_allowed(tmp_path, settings):
    settings.SOUNDS_MAX_TRACK_DURATION_S = 4
    src = media.noise(tmp_path / "twenty.wav", 20)
    out = tmp_path / "out.mp3"
    normalizer.normalize_file(src, out, duration_s=20)
    assert audio.decoded_duration_ms(out, cap_s=30) <= 5100


@pytest.mark.django_db
def test_a_lying_flac_already_in_the_library_is_not_normalized_for_hours(sdb, settings):
    settings.SOUNDS_MAX_TRACK_DURATION_S = 60
    media.lying_flac(sdb / "liar.flac", real_seconds=7200)
    sound = Sound.objects.create(name="Liar", filename="liar.flac", hash="f" * 64, duration=1000)
    outcome = services.normalize_sound(sound=sound)
    assert outcome.status == "error"
    sound.refresh_from_db()
    assert sound.normalization_error == "the sound is longer than the 1-minute limit"
    assert sound.normalized_filename == ""
