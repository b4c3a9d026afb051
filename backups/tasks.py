"""The nightly backup (CELERY_BEAT_SCHEDULE "backups-nightly"): a thin adapter over services.create."""

from __future__ import annotations

import logging

from celery import shared_task

from backups import services

logger = logging.getLogger(__name__)


@shared_task(name="backups.nightly", acks_late=True, time_limit=3000, soft_time_limit=2900)
def nightly_backup_task() -> str:
    made = services.create()
    return made.path.name
