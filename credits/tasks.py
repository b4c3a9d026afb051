from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from credits.services import recharge_all


@shared_task(name="credits.recharge", acks_late=True, reject_on_worker_lost=True)
def recharge_task() -> dict[str, int]:
    # Keyed by the UTC day: a late or repeated run credits nobody twice.
    return recharge_all(day=timezone.now().date())
