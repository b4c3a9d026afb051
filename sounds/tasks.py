"""Celery adapters for the sound library. Thin: re-fetch, call the service, report.

Every job is a claimed row (see core.claims): a message delivered twice runs the job once; one delivered
while another run still beats is retried until that run ends or goes quiet, and then takes it over.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from core.claims import Lost, Outcome
from live import events
from live.contexts import LibraryChanged, ScanReport
from sounds import progress, scanner, speech
from sounds.live import sound_changed
from sounds.models import Scan, Sound, TtsJob
from sounds.services import process_normalization, queue_normalization
from sounds.sweep import sweep

logger = logging.getLogger(__name__)

# Enough retries to outlast a live run of the longest job (countdown: SOUNDS_JOB_TAKEOVER_AFTER_S).
BUSY_RETRIES = 60


def _later() -> float:
    return float(settings.SOUNDS_JOB_TAKEOVER_AFTER_S)


@shared_task(
    bind=True,
    name="sounds.normalize_sound",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=900,
    soft_time_limit=840,
    max_retries=BUSY_RETRIES,
)
def normalize_sound_task(
    self: Task[Any, Any],
    *,
    sound_id: int,
    force: bool = False,  # older messages carry it; the row's state now says what to do
    one_pass: bool | None = None,
    batch: str | None = None,
) -> str:
    if not Sound.objects.filter(pk=sound_id).exists():
        logger.info("Sound %s is gone; nothing to normalize", sound_id)
        progress.advance(batch, ok=False)
        return "gone"
    outcome = process_normalization(sound_id=sound_id, one_pass=one_pass)
    if outcome.status == "busy":
        raise self.retry(countdown=_later())
    progress.advance(batch, ok=outcome.status in ("normalized", "skipped"))
    sound_changed(sound_id)
    return outcome.status


@shared_task(
    bind=True,
    name="sounds.scan",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=3000,
    soft_time_limit=2900,
    max_retries=BUSY_RETRIES,
)
def scan_task(self: Task[Any, Any], *, scan_id: int) -> dict[str, int] | str:
    if not Scan.objects.filter(pk=scan_id).exists():
        logger.info("Scan %s is gone", scan_id)
        return "gone"
    claimed = scanner.claim(scan_id)
    if claimed is Outcome.BUSY:
        raise self.retry(countdown=_later())
    if not isinstance(claimed, Scan):
        return str(claimed)
    try:
        result = scanner.run_claimed(claimed, progress=progress.Throttled("scan", job=f"scan-{scan_id}"))
    except Lost:
        logger.warning("Scan %s was taken over by another run; this one stops", scan_id)
        return "lost"
    queue_normalization(result.new_sound_ids, user_id=claimed.started_by_id)
    events.send_to_staff(ScanReport(report=result.as_dict(), counts=result.counts()))
    if result.added or result.deleted or result.updated:
        events.broadcast(LibraryChanged())
    return result.counts()


@shared_task(
    bind=True,
    name="sounds.tts",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=300,
    soft_time_limit=280,
    max_retries=BUSY_RETRIES,
)
def tts_task(self: Task[Any, Any], *, job_id: int) -> str:
    if not TtsJob.objects.filter(pk=job_id).exists():
        logger.info("TTS job %s is gone", job_id)
        return "gone"
    outcome = speech.process(job_id)
    if outcome is Outcome.BUSY:
        raise self.retry(countdown=_later())
    return str(outcome)


@shared_task(name="sounds.sweep", acks_late=True)
def sweep_task() -> dict[str, dict[str, int]]:
    return sweep()
