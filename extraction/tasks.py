"""Celery adapters for extraction, on the `extraction` queue (EXTRACTION_MAX_CONCURRENT workers)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from core.claims import Outcome
from extraction.models import Extraction
from extraction.services import process, reap
from extraction.status import extraction_workers

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="extraction.process",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=1500,
    soft_time_limit=1400,
    # A job held by a live worker is retried until that worker finishes or goes quiet (see services.claim).
    max_retries=60,
)
def process_task(self: Task[Any, Any], *, extraction_id: int) -> str:
    job = Extraction.objects.filter(pk=extraction_id).first()
    if job is None:
        logger.info("Extraction %s is gone", extraction_id)
        return "gone"
    outcome = process(job)
    if outcome is Outcome.BUSY:
        # Redelivered while the first run still beats (or its worker just died): look again once a dead
        # worker's job can be taken over.
        raise self.retry(countdown=settings.EXTRACTION_TAKEOVER_AFTER_S)
    return str(outcome)


@shared_task(name="extraction.reap", acks_late=True)
def reap_task() -> dict[str, int]:
    return reap()


@shared_task(name="extraction.check_workers", time_limit=30)
def check_workers_task() -> list[str]:
    """Ask which workers listen on the extraction queue, for the Extractions page (see `status.seen_workers`).
    Scheduled on the default queue: a busy extraction worker must not delay its own check."""
    return extraction_workers(timeout=1.0)
