"""Celery adapters for extraction, on the `extraction` queue (EXTRACTION_MAX_CONCURRENT workers)."""

from __future__ import annotations

import logging

from celery import shared_task

from extraction.models import Extraction, Status
from extraction.services import process, reap

logger = logging.getLogger(__name__)


@shared_task(
    name="extraction.process",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=1500,
    soft_time_limit=1400,
)
def process_task(*, extraction_id: int) -> str:

    job = Extraction.objects.filter(pk=extraction_id).first()
    if job is None:
        logger.info("Extraction %s is gone", extraction_id)
        return "gone"
    if job.status not in (Status.PENDING, Status.PROCESSING):
        return job.status  # a redelivered message for a finished job
    process(job)
    return Extraction.objects.values_list("status", flat=True).get(pk=extraction_id)


@shared_task(name="extraction.reap", acks_late=True)
def reap_task() -> dict[str, int]:
    return reap()
