"""The library's periodic sweep (Celery beat, every minute): lost messages re-sent, dead runs retried or
given up, for normalization, TTS and scans alike. Each part moves rows by conditional UPDATEs only; the
half-written files of normalizations that died go too."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from sounds import leftovers, scanner, services, speech


def sweep(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    now = now or timezone.now()
    return {
        "normalize": services.sweep_normalization(now),
        "tts": speech.sweep(now),
        "scan": scanner.sweep(now),
        "files": {"removed": leftovers.clean(now)},
    }
