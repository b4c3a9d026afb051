from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sounds.models import Sound
from sounds.tests import media

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


def test_scan_sounds_reports_a_summary(sdb, django_capture_on_commit_callbacks):
    media.tone(sdb / "one.wav", 0.3)
    (sdb / "bad.mp3").write_text("x" * 100)
    with django_capture_on_commit_callbacks() as callbacks:
        out = run("scan_sounds")
    assert "1 added" in out
    assert "1 errors" in out
    assert "added: soundboard/one.wav" in out
    assert "error: soundboard/bad.mp3" in out
    assert "Queued 1 sound(s) for normalization" in out
    assert len(callbacks) == 1


def test_scan_sounds_dry_run_changes_nothing(sdb):
    media.tone(sdb / "one.wav", 0.3)
    out = run("scan_sounds", "--dry-run")
    assert out.startswith("Would have: 1 added")
    assert not Sound.objects.exists()


def test_scan_sounds_rejects_an_unknown_type(sdb):
    with pytest.raises(CommandError, match="Unknown type"):
        run("scan_sounds", "--type", "XYZ")


def test_normalize_sounds_by_id_and_type(sdb):
    media.tone(sdb / "one.wav", 0.6)
    media.silence(sdb / "hush.wav", 1.0)
    run("scan_sounds", "--no-normalize")
    one = Sound.objects.get(filename="one.wav")
    out = run("normalize_sounds", "--id", str(one.pk), "--jobs", "1")
    assert out.splitlines()[0] == "1 normalized"
    one.refresh_from_db()
    assert one.is_normalized
    out = run("normalize_sounds", "--type", "sdb", "--jobs", "1")
    assert out.splitlines() == ["1 silent", "  Hush: the audio is silent"]
    out = run("normalize_sounds", "--force", "--one-pass", "--jobs", "1")
    assert out.splitlines()[0] == "1 normalized, 1 silent"
    assert run("normalize_sounds", "--type", "TTS") == "Nothing to normalize.\n"


def test_normalize_sounds_rejects_bad_arguments(sdb):
    with pytest.raises(CommandError, match="No sound with id"):
        run("normalize_sounds", "--id", "4242")
    with pytest.raises(CommandError, match="--jobs"):
        run("normalize_sounds", "--jobs", "0")
