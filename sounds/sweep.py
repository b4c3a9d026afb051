"""The library's periodic sweep (Celery beat, every minute): lost messages re-sent, dead runs retried or
given up, for normalization, TTS and scans alike. Each part moves rows by conditional UPDATEs only."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from sounds import scanner, services, speech


def sweep(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    now = now or timezone.now()
    return {
        "normalize": services.sweep_normalization(now),
        "tts": speech.sweep(now),
        "scan": scanner.sweep(now),
    }
