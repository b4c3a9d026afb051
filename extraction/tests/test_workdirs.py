"""The sweep removes the work folders of extraction runs that died, never a live run's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from extraction import workdirs
from extraction.models import Extraction, Status

pytestmark = pytest.mark.django_db


def _job(user, **fields) -> Extraction:
    return Extraction.objects.create(url="https://example.com/x.mp3", user=user, service="generic", **fields)


def test_a_live_runs_folder_stays_and_a_dead_runs_folder_goes(user, settings, tmp_path):
    settings.SOUNDS_ROOT = tmp_path
    live = _job(user, status=Status.PROCESSING, claim="a" * 32)
    live_dir = workdirs.create(live)
    (live_dir / "part.mp3").write_bytes(b"x")
    dead = _job(user, status=Status.PROCESSING, claim="b" * 32)
    workdirs.create(dead)
    # Its run was killed; the sweep retried the job, which now has another claim.
    Extraction.objects.filter(pk=dead.pk).update(status=Status.PENDING, claim="")
    finished = _job(user, status=Status.PROCESSING, claim="c" * 32)
    workdirs.create(finished)
    Extraction.objects.filter(pk=finished.pk).update(status=Status.COMPLETED)

    assert workdirs.clean(timezone.now()) == 2
    assert [p.name for p in workdirs.temp_root().iterdir()] == [live_dir.name]


def test_a_folder_not_named_by_a_run_goes_only_once_it_is_old(user, settings, tmp_path):
    settings.SOUNDS_ROOT = tmp_path
    stray = workdirs.temp_root() / "something-else"
    stray.mkdir()
    assert workdirs.clean(timezone.now()) == 0
    later = timezone.now() + timedelta(seconds=settings.EXTRACTION_STALE_AFTER_S + 1)
    assert workdirs.clean(later) == 1
    assert not stray.exists()
