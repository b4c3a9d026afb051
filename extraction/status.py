"""The extraction queue at a glance, for staff: the list page and the admin API show the same figures."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TypedDict

from celery import current_app as celery_app
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from extraction import tooling
from extraction.models import Extraction, Status


class RecentFailure(TypedDict):
    id: int
    url: str
    error: str


class RecentWarning(TypedDict):
    id: int
    url: str
    warnings: list[str]


class QueueStatus(TypedDict):
    pending: int
    processing: int
    completed: int
    failed: int
    recent_failures: list[RecentFailure]
    workers: list[str]  # extraction workers answering right now
    ytdlp_version: str
    js_runtime: str  # "deno 2.9.8", or why there is none
    js_ready: bool  # a supported runtime and yt-dlp-ejs's scripts: YouTube's formats can be had
    recent_warnings: list[RecentWarning]  # yt-dlp's warnings of the last day's jobs


# The last answer to "which workers listen on the extraction queue": asking takes a broadcast's whole timeout, so
# the beat asks every 30 s (task `extraction.check_workers`, CELERY_BEAT_SCHEDULE) and pages read the answer.
WORKERS_CACHE_KEY = "extraction:workers-seen"
# Older than this (three missed checks: is the beat running?) an answer is not shown; the page asks by itself.
WORKERS_STALE_S = 90


class WorkersSeen(TypedDict):
    workers: list[str]
    checked_at: float  # time.time() of the answer


def extraction_workers(timeout: float = 0.5) -> list[str]:
    """Workers listening on the extraction queue right now (asks them over the broker, waiting `timeout`), kept
    as the latest answer for the pages (`seen_workers`)."""
    replies = celery_app.control.inspect(timeout=timeout).active_queues() or {}
    found = sorted(name for name, queues in replies.items() if any(q.get("name") == "extraction" for q in queues))
    seen: WorkersSeen = {"workers": found, "checked_at": time.time()}
    cache.set(WORKERS_CACHE_KEY, seen, WORKERS_STALE_S)
    return found


def seen_workers() -> WorkersSeen | None:
    """The latest answer, if it is recent enough to show (no broker round trip)."""
    seen: WorkersSeen | None = cache.get(WORKERS_CACHE_KEY)
    if seen is None or time.time() - seen["checked_at"] > WORKERS_STALE_S:
        return None
    return seen


def checked_ago(seen: WorkersSeen) -> str:
    """The answer's age in words: "just now", "12 s ago", "1 min ago"."""
    age = max(0, round(time.time() - seen["checked_at"]))
    if age < 2:
        return "just now"
    return f"{age} s ago" if age < 60 else f"{age // 60} min ago"


def queue_status(*, workers: bool = True) -> QueueStatus:
    """The figures; `workers=False` leaves out the broker round trip (the page fetches that line by itself)."""
    counts = dict(Extraction.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    since = timezone.now() - timedelta(days=1)
    failures = Extraction.objects.filter(status=Status.FAILED, updated_at__gte=since)
    warned = Extraction.objects.filter(updated_at__gte=since).exclude(warnings="")
    found = tooling.detect()
    return {
        "pending": counts.get(Status.PENDING, 0),
        "processing": counts.get(Status.PROCESSING, 0),
        "completed": counts.get(Status.COMPLETED, 0),
        "failed": counts.get(Status.FAILED, 0),
        "recent_failures": [
            {"id": f.pk, "url": f.url, "error": f.error} for f in failures.only("id", "url", "error")[:10]
        ],
        "workers": extraction_workers() if workers else [],
        "ytdlp_version": found.ytdlp_version,
        "js_runtime": tooling.runtime_label(found),
        "js_ready": found.js_ready,
        "recent_warnings": [
            {"id": w.pk, "url": w.url, "warnings": w.warnings.splitlines()}
            for w in warned.only("id", "url", "warnings")[:10]
        ],
    }
