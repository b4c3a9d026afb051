from __future__ import annotations

import pytest

from sounds import services
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned(sdb):
    media.speech(sdb / "hello.wav", "Hello there, this is the soundboard speaking.")
    scan()
    return Sound.objects.get()


def test_normalizing_a_sound_writes_the_file_and_records_what_was_done(scanned, sounds_root):
    outcome = services.normalize_sound(sound=scanned)
    assert outcome.status == "normalized"
    scanned.refresh_from_db()
    assert scanned.is_normalized
    path = sounds_root / "normalized" / "soundboard" / scanned.normalized_filename
    assert path.is_file()
    assert scanned.normalized_filename.endswith(".mp3")
    assert scanned.normalized_size == path.stat().st_size
    assert len(scanned.normalized_hash) == 64
    assert scanned.normalization_mode == "linear"
    assert scanned.loudness_i is not None
    assert scanned.loudness_tp is not None
    assert abs(scanned.normalized_duration - scanned.duration) < 80
    assert scanned.playable_path() == path


def test_an_already_normalized_sound_is_skipped_unless_forced(scanned):
    services.normalize_sound(sound=scanned)
    assert services.normalize_sound(sound=scanned).status == "skipped"
    assert services.normalize_sound(sound=scanned, force=True).status == "normalized"


def test_normalizing_a_sound_whose_file_is_gone_is_an_error_not_a_crash(scanned):
    scanned.original_path.unlink()
    outcome = services.normalize_sound(sound=scanned)
    assert outcome.status == "error"
    scanned.refresh_from_db()
    assert scanned.normalization_error == "the original file is missing"
    assert not scanned.is_normalized


def test_a_silent_sound_is_reported(sdb):
    media.silence(sdb / "quiet.wav", 3.5)
    scan()
    sound = Sound.objects.get()
    assert services.normalize_sound(sound=sound).status == "silent"
    sound.refresh_from_db()
    assert "silent" in sound.normalization_error
    assert not sound.is_normalized


def test_an_unwritable_output_folder_is_reported(scanned, sounds_root):
    (sounds_root / "normalized").mkdir()
    (sounds_root / "normalized" / "soundboard").write_text("a file where the folder should be")
    outcome = services.normalize_sound(sound=scanned)
    assert outcome.status == "error"
    scanned.refresh_from_db()
    # Readable for the uploader: no server path, no errno (those are in the log).
    assert scanned.normalization_error.startswith("the server could not store the normalized file")
    assert str(sounds_root) not in scanned.normalization_error


def test_deleting_sounds_removes_their_files_after_commit(scanned, django_capture_on_commit_callbacks):
    services.normalize_sound(sound=scanned)
    scanned.refresh_from_db()
    original, normalized = scanned.original_path, scanned.normalized_path
    assert normalized is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delete_sounds(Sound.objects.filter(pk=scanned.pk)) == 1
    assert not original.exists()
    assert not normalized.exists()
    assert not Sound.objects.exists()


def test_renaming_cleans_whitespace_and_refuses_empty_names(scanned):
    services.rename_sound(sound=scanned, name="  Big   <b>Horn</b> ")
    scanned.refresh_from_db()
    assert scanned.name == "Big <b>Horn</b>"
    assert scanned.search_name == "big <b>horn</b>"
    with pytest.raises(services.UploadError):
        services.rename_sound(sound=scanned, name="   ")
