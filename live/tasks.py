"""Housekeeping for the live channel, and toasts from background jobs."""

import logging

from celery import shared_task

from live import events, presence
from live.contexts import Presence, Toast, ToastLevel

logger = logging.getLogger(__name__)


@shared_task(name="live.sweep_presence")
def sweep_presence() -> int:
    """Drop presence entries of connections whose web process died without saying goodbye."""
    removed = presence.sweep_sync()
    if removed:
        events.broadcast(Presence(online=presence.online_count_sync()))
    return removed


@shared_task(name="live.notify_user")
def notify_user(*, user_id: int, message: str, level: ToastLevel = "info") -> None:
    """Show a toast on every open tab of one user; used by jobs that finish in the background."""
    events.send_to_user(user_id, Toast(message=message, level=level))
