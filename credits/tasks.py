from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from credits.services import recharge_all, settle_abandoned_attempts


@shared_task(name="credits.recharge", acks_late=True, reject_on_worker_lost=True)
def recharge_task() -> dict[str, int]:
    # Keyed by the UTC day: a late or repeated run credits nobody twice.
    return recharge_all(day=timezone.now().date())


@shared_task(name="credits.settle_attempts", acks_late=True, reject_on_worker_lost=True)
def settle_attempts_task() -> int:
    return settle_abandoned_attempts(older_than=timedelta(seconds=settings.ATTEMPT_SETTLE_AFTER_S))
