from __future__ import annotations

import hashlib
import subprocess

import pytest

from sounds import audio
from sounds.tests import media


@pytest.mark.parametrize("ext", [".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".webm", ".aiff"])
def test_duration_is_read_from_every_common_format(tmp_path, ext):
    path = media.tone(tmp_path / f"tone{ext}", seconds=2.0)
    info = audio.probe(path)
    assert abs(info.duration_ms - 2000) <= 60, info
    assert audio.duration_ms(path) == info.duration_ms


def test_mutagen_and_ffprobe_agree_on_duration(tmp_path):
    path = media.tone(tmp_path / "t.mp3", seconds=3.0)
    fast = audio._mutagen_info(path)
    assert fast is not None
    assert abs(fast.duration_ms - audio.ffprobe(path).duration_ms) <= 60


def test_the_hash_is_the_sha256_of_the_content(tmp_path):
    path = media.noise(tmp_path / "n.flac")
    assert audio.file_hash(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert audio.file_size(path) == path.stat().st_size


def test_an_empty_file_is_not_audio(tmp_path):
    path = tmp_path / "empty.mp3"
    path.touch()
    with pytest.raises(audio.NotAudioError, match="empty"):
        audio.probe(path)


def test_a_text_file_named_mp3_is_not_audio(tmp_path):
    path = tmp_path / "fake.mp3"
    path.write_text("this is not audio at all\n" * 200)
    with pytest.raises(audio.NotAudioError):
        audio.probe(path)
    assert not audio.is_decodable(path)


def test_an_image_is_not_audio(tmp_path):

    path = tmp_path / "picture.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", str(path)], check=True
    )
    with pytest.raises(audio.NotAudioError, match="no audio stream"):
        audio.probe(path)


def test_a_truncated_file_is_caught_by_the_decoder(tmp_path):
    good = media.tone(tmp_path / "good.flac", seconds=2.0)
    assert audio.is_decodable(good)
    broken = tmp_path / "broken.flac"
    data = good.read_bytes()
    broken.write_bytes(data[:64] + bytes(len(data) - 64))  # header kept, frames zeroed
    assert not audio.is_decodable(broken)
