"""What the library's background jobs (normalization, TTS, scan) share: outcomes, the token, the heartbeat.

Each job is a row claimed by one conditional UPDATE (pending, or processing whose worker went quiet, →
processing with a fresh token and attempts + 1); every later write of that run is conditional on the token.
The same design as extraction.services, kept per app on purpose.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    RAN = "ran"  # this run claimed the job and ran it to its end
    BUSY = "busy"  # another run holds it and is still beating: try again later
    DONE = "done"  # finished already (a redelivered message), or given up after too many attempts
    GONE = "gone"


class Lost(Exception):
    """This run's claim was taken over (its worker looked dead): stop without writing anything."""


def new_token() -> str:
    return secrets.token_hex(16)


def max_attempts() -> int:
    return int(settings.SOUNDS_JOB_MAX_ATTEMPTS)


def quiet_since(now: datetime) -> datetime:
    """A processing job that has not beaten since then may be taken over by a redelivered message."""
    return now - timedelta(seconds=float(settings.SOUNDS_JOB_TAKEOVER_AFTER_S))


GIVE_UP = "The job kept stopping half-way; giving up after several attempts."
GIVE_UP_SCAN = "The scan stopped half-way (its worker went quiet); start another."


@contextmanager
def heartbeat(rows: models.QuerySet[Any], field: str, label: str) -> Iterator[None]:
    """Bump `field` of `rows` (the run's own row, filtered on its claim) on a timer while the body runs: ffmpeg
    or espeak-ng report no progress, and a quiet job is taken over as dead."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(float(settings.SOUNDS_JOB_HEARTBEAT_S)):
                rows.update(**{field: timezone.now()})
        except Exception:
            logger.warning("%s: heartbeat failed", label, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"{label}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
