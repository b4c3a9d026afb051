"""kill -9 a worker in the middle of a job: after a restart and the sweeps, every job ends and is paid right."""

from __future__ import annotations

import pytest

from extraction import services as extraction
from extraction.models import Extraction, Status
from extraction.tests.media_server import MediaServer
from sounds import audio
from sounds.models import JobState
from sounds.services import queue_normalization
from tests.chaos.common import funded_user, new_sound
from tests.chaos.harness import Stack, children_named, live_processes_using, pids_gone, wait_for
from tests.chaos.invariants import assert_nothing_lost, jobs_settled, sweep_as_beat

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_extractor_killed_mid_download_ends_its_job_after_a_restart(stack: Stack, media_server: MediaServer):
    stack.start_worker("extractor", "extraction")
    user = funded_user()
    job = extraction.submit(user=user, url=f"{media_server.base}/slow/long.mp3")

    def downloading() -> bool:
        job.refresh_from_db()
        return job.stage == "downloading" and any(p.startswith("/slow/") for p in media_server.hits)

    wait_for(downloading, "the download to be under way")
    orphans = stack.kill("extractor")
    wait_for(lambda: pids_gone(orphans), "yt-dlp to die with its worker")
    assert list((stack.sounds_root / "temp").iterdir()), "the dead run's work folder is there to be cleaned"

    stack.restart("extractor")
    swept = sweep_as_beat()
    assert swept["extraction"] == {"retried": 1, "failed": 0, "requeued": 0}
    wait_for(jobs_settled, "the job to end", timeout=90, every=0.2)
    sweep_as_beat()

    job.refresh_from_db()
    assert job.status == Status.COMPLETED, job.error
    assert job.attempts == 2
    assert Extraction.objects.count() == 1
    assert_nothing_lost([user], stack.sounds_root)


def test_a_worker_killed_mid_normalization_ends_the_job_after_a_restart(stack: Stack):
    stack.start_worker("worker", "default,audio")
    sound = new_sound(stack.sounds_root, "long hum", 120.0, freq=180)
    queue_normalization([sound.pk])
    # The kill lands in ffmpeg's render, the moment a half-written file exists beside the normalized ones.
    parts = stack.sounds_root / "normalized" / "soundboard"
    wait_for(lambda: list(parts.glob(".part-*")), "the normalizer to start writing", timeout=60)
    worker_pid = stack.procs["worker"].pid
    ffmpeg = wait_for(lambda: children_named(worker_pid, "ffmpeg"), "the worker's ffmpeg", timeout=30)
    stack.kill("worker")
    # The kernel kills the child with its parent (sounds.limits): it does not run on for a minute, writing a
    # file nobody will use. Read from /proc: no ffmpeg of the dead worker, and none still reading the original.
    wait_for(lambda: pids_gone(ffmpeg), "the dead worker's ffmpeg to die with it", timeout=5)
    original = str((stack.sounds_root / "originals" / "soundboard" / sound.filename).resolve())
    assert not live_processes_using(original), "a child of the dead worker still reads the original"
    sound.refresh_from_db()
    assert sound.normalization_status == JobState.PROCESSING  # what the dead worker left: nobody will finish it

    stack.restart("worker")
    assert sweep_as_beat()["sounds"]["normalize"] == {"retried": 1, "failed": 0, "requeued": 0}
    wait_for(jobs_settled, "the normalization to end", timeout=90, every=0.2)
    sweep_as_beat()

    sound.refresh_from_db()
    assert sound.normalization_status == JobState.DONE, sound.normalization_error
    assert sound.is_normalized
    assert sound.normalization_attempts == 2
    normalized = sound.safe_normalized_path()
    assert normalized is not None
    assert audio.probe(normalized).duration_ms > 119_000
    assert_nothing_lost([], stack.sounds_root)
