"""Handing work to the Celery workers by task name.

Services decide that work must happen; tasks (one layer up) adapt Celery to services. Sending by the task's
explicit name lets a service enqueue without importing its app's `tasks` module, which imports the service:
dependencies stay one-way. The name's prefix routes it to its queue (`CELERY_TASK_ROUTES`).
"""

from __future__ import annotations

from typing import Any

from celery import current_app


def enqueue(task_name: str, **kwargs: Any) -> None:
    current_app.send_task(task_name, kwargs=kwargs)
