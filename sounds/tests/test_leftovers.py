"""The library's sweep removes half-written normalizer files nobody has touched for a run's quiet period."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from sounds import leftovers


def test_only_stale_half_written_files_are_removed(sounds_root, settings):
    folder = sounds_root / "normalized" / "soundboard"
    folder.mkdir(parents=True)
    part = folder / ".part-abc.mp3"
    part.write_bytes(b"half")
    trial = folder / "tmpq1w2e3"
    trial.mkdir()
    (trial / "trial.wav").write_bytes(b"half")
    done = folder / "done-12345678.mp3"
    done.write_bytes(b"whole")

    assert leftovers.clean(timezone.now()) == 0  # a live render keeps touching its files
    later = timezone.now() + timedelta(seconds=settings.SOUNDS_JOB_STALE_AFTER_S + 1)
    assert leftovers.clean(later) == 2
    assert [p.name for p in folder.iterdir()] == [done.name]
