from __future__ import annotations

import os
import shutil

import pytest
from django.utils import timezone

from sounds import audio, scanner
from sounds.models import JobState, Scan, Sound, humanize
from sounds.tests import media

pytestmark = pytest.mark.django_db


def test_a_scan_adds_audio_of_every_format_with_humanized_names(sdb, sounds_root):
    media.tone(sdb / "air_horn-LOUD.mp3", 0.5)
    media.tone(sdb / "nested" / "deeper" / "Beep beep.wav", 0.3, freq=880)
    media.noise(sdb / "rain.flac", 1.0)
    media.tone(sdb / "Ça marche ✓.ogg", 0.4, freq=660)
    media.speech(sounds_root / "originals" / "text_to_speech" / "hello.wav")
    media.tone(sounds_root / "originals" / "extracted" / "clip.m4a", 0.6, freq=300)
    result = scanner.scan()
    assert sorted(result.added) == sorted(
        [
            "soundboard/air_horn-LOUD.mp3",
            "soundboard/nested/deeper/Beep beep.wav",
            "soundboard/rain.flac",
            "soundboard/Ça marche ✓.ogg",
            "text_to_speech/hello.wav",
            "extracted/clip.m4a",
        ]
    )
    assert result.errors == []
    horn = Sound.objects.get(filename="air_horn-LOUD.mp3")
    assert horn.name == "Air horn LOUD"
    assert horn.type == "SDB"
    assert abs(horn.duration - 500) < 60
    assert horn.hash == audio.file_hash(sdb / "air_horn-LOUD.mp3")
    assert Sound.objects.get(filename="hello.wav").type == "TTS"
    assert Sound.objects.get(filename="clip.m4a").type == "EXT"
    assert Sound.objects.get(filename="nested/deeper/Beep beep.wav").name == "Beep beep"
    assert set(result.new_sound_ids) == set(Sound.objects.values_list("pk", flat=True))


def test_a_rescan_skips_unchanged_files_without_reading_them(sdb, monkeypatch):
    for i in range(3):
        media.tone(sdb / f"t{i}.wav", 0.2, freq=300 + i * 100)
    scanner.scan()
    reads: list[object] = []
    real_hash = audio.file_hash

    def counting_hash(path):
        reads.append(path)
        return real_hash(path)

    monkeypatch.setattr(audio, "file_hash", counting_hash)
    result = scanner.scan()
    assert len(result.skipped) == 3
    assert result.added == result.updated == result.deleted == []
    assert reads == []


def test_a_changed_file_is_updated_and_loses_its_normalized_version(sdb, sounds_root):
    path = media.tone(sdb / "change.wav", 0.5)
    scanner.scan()
    sound = Sound.objects.get()
    normalized = sounds_root / "normalized" / "soundboard" / "change-old.mp3"
    normalized.parent.mkdir(parents=True)
    normalized.write_bytes(b"old")
    Sound.objects.filter(pk=sound.pk).update(is_normalized=True, normalized_filename="change-old.mp3")
    media.tone(path, 1.5, freq=1000)
    os.utime(path, (1, 1))  # a different mtime, whatever the clock did
    result = scanner.scan()
    assert result.updated == ["soundboard/change.wav"]
    sound.refresh_from_db()
    assert abs(sound.duration - 1500) < 60
    assert not sound.is_normalized
    assert sound.normalized_filename == ""
    assert not normalized.exists()


def test_a_touched_but_identical_file_is_skipped(sdb):
    path = media.tone(sdb / "same.wav", 0.3)
    scanner.scan()
    os.utime(path, (12345, 12345))
    result = scanner.scan()
    assert result.skipped == ["soundboard/same.wav"]
    assert Sound.objects.get().file_mtime == 12345


def test_rows_whose_file_is_gone_are_removed(sdb):
    media.tone(sdb / "gone.wav", 0.3)
    media.tone(sdb / "kept.wav", 0.3, freq=500)
    scanner.scan()
    (sdb / "gone.wav").unlink()
    result = scanner.scan()
    assert result.deleted == ["soundboard/gone.wav"]
    assert list(Sound.objects.values_list("filename", flat=True)) == ["kept.wav"]


def test_duplicates_by_content_are_skipped_and_reported(sdb):
    media.tone(sdb / "a.wav", 0.4)
    shutil.copy(sdb / "a.wav", sdb / "b copy.wav")
    result = scanner.scan()
    assert result.added == ["soundboard/a.wav"]
    assert result.duplicates == ["soundboard/b copy.wav (same audio as a.wav)"]
    assert Sound.objects.count() == 1


def test_unreadable_and_fake_files_are_reported_and_the_scan_goes_on(sdb):
    (sdb / "empty.mp3").touch()
    (sdb / "notes.mp3").write_text("not audio " * 100)
    (sdb / "README.txt").write_text("ignored: not an audio file name")
    media.tone(sdb / "good.wav", 0.3)
    result = scanner.scan()
    assert result.added == ["soundboard/good.wav"]
    errors = "\n".join(result.errors)
    assert "soundboard/empty.mp3: not playable audio (the file is empty)" in errors
    assert "soundboard/notes.mp3: not playable audio" in errors
    assert "README" not in errors
    assert Sound.objects.count() == 1


def test_a_file_that_vanishes_mid_scan_is_reported(sdb):
    media.tone(sdb / "a.wav", 0.2)
    media.tone(sdb / "b.wav", 0.2, freq=600)

    def progress(done, total, current):
        if current.endswith("a.wav"):
            (sdb / "b.wav").unlink()

    result = scanner.scan(progress=progress)
    assert result.added == ["soundboard/a.wav"]
    assert result.errors == ["soundboard/b.wav: vanished during the scan"]


def test_a_second_scan_at_the_same_time_is_refused(sdb):
    media.tone(sdb / "a.wav", 0.2)
    other = Scan.objects.create(status=JobState.PROCESSING, claim="x", heartbeat_at=timezone.now())  # elsewhere
    with pytest.raises(scanner.ScanAlreadyRunning):
        scanner.scan()
    assert Sound.objects.count() == 0
    Scan.objects.filter(pk=other.pk).update(status=JobState.DONE, active=None)
    assert scanner.scan().added == ["soundboard/a.wav"]


def test_a_dry_run_changes_nothing(sdb):
    media.tone(sdb / "a.wav", 0.2)
    result = scanner.scan(dry_run=True)
    assert result.added == ["soundboard/a.wav"]
    assert Sound.objects.count() == 0


def test_the_thumbnails_folder_is_not_scanned(sounds_root):
    thumbs = sounds_root / "originals" / "extracted" / "thumbnails"
    thumbs.mkdir(parents=True)
    media.tone(thumbs / "stray.wav", 0.2)
    assert scanner.scan().added == []


def test_scan_only_one_type(sdb, sounds_root):
    media.tone(sdb / "a.wav", 0.2)
    media.tone(sounds_root / "originals" / "extracted" / "b.wav", 0.2, freq=700)
    assert scanner.scan(types=["EXT"]).added == ["extracted/b.wav"]


def test_humanize():
    assert humanize("dir/my_cool-sound.v2.mp3") == "My cool sound v2"
    assert humanize("___.wav") == "Untitled"
