"""Handing work to the Celery workers by task name.

Services decide that work must happen; tasks (one layer up) adapt Celery to services. Sending by the task's
explicit name lets a service enqueue without importing its app's `tasks` module, which imports the service:
dependencies stay one-way. The name's prefix routes it to its queue (`CELERY_TASK_ROUTES`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.db import models, transaction

from core.errors import UserError

logger = logging.getLogger(__name__)


def enqueue(task_name: str, **kwargs: Any) -> None:
    current_app.send_task(task_name, kwargs=kwargs)


def enqueue_or_fail(
    task_name: str,
    kwargs: dict[str, Any],
    *,
    unclaimed: models.QuerySet[Any],
    failed: dict[str, Any],
    reason: str,
    refund: Callable[[], object] | None = None,
    error: Callable[[str, int], UserError] = UserError,
) -> None:
    """Queue a job whose row (and charge) is already committed, or, when the broker is unreachable, fail it and
    refuse with a clear 503: never a 500 with the credits gone.

    `unclaimed` is the job's row while it is still pending and unclaimed: the move to `failed` (the fields to
    set) is one conditional UPDATE on it, so a run that got the message after all, or a sweep, keeps the job,
    and `refund` runs only for the move that happened: exactly once.
    """
    try:
        enqueue(task_name, **kwargs)
    except Exception as exc:
        logger.error("%s %s could not be queued", task_name, kwargs, exc_info=True)
        with transaction.atomic():  # the failure and its refund commit together, or neither
            if unclaimed.update(**failed) and refund is not None:
                refund()
        raise error(reason, 503) from exc
