"""Staff's Extractions page answers at once: its "Workers" line is the beat's latest check, shown with its age.

Asking the workers is a broadcast that always waits out its timeout (0.5 s and more): a page that asked could not
answer in less. With no recent check (no beat running) the page loads the line by itself, after it is shown.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from extraction.status import WORKERS_CACHE_KEY
from extraction.tasks import check_workers_task
from soundboard.celery import app

pytestmark = pytest.mark.django_db


def page_time(client: Client) -> tuple[float, str]:
    """The fastest of three loads (one slow load on a busy machine says nothing) and the page."""
    timings = []
    for _ in range(3):
        started = time.monotonic()
        page = client.get("/extractions/").content.decode()
        timings.append(time.monotonic() - started)
    return min(timings), page


def test_the_page_shows_the_beats_latest_check_with_its_age_without_asking(celery_worker, staff):
    # The beat's check, on the default queue so a busy extraction worker never delays it. Run here: the tests'
    # one worker is a solo worker serving every queue, which cannot answer a broadcast while it runs a task.
    cache.delete(WORKERS_CACHE_KEY)
    assert check_workers_task() == [celery_worker.name]
    client = Client()
    client.force_login(staff)
    seconds, page = page_time(client)
    assert seconds < 0.5  # a broadcast alone waits 0.5 s
    assert f"Workers: {celery_worker.name}" in page
    assert "(checked just now)" in page or "s ago)" in page
    assert 'hx-get="/extractions/workers/"' not in page


def test_an_old_check_shows_its_age_and_a_stale_one_is_not_shown(staff):
    client = Client()
    client.force_login(staff)
    cache.set(WORKERS_CACHE_KEY, {"workers": ["extract@host"], "checked_at": time.time() - 75}, 300)
    page = client.get("/extractions/").content.decode()
    assert "Workers: extract@host" in page
    assert "(checked 1 min ago)" in page
    cache.set(WORKERS_CACHE_KEY, {"workers": ["extract@host"], "checked_at": time.time() - 200}, 300)
    page = client.get("/extractions/").content.decode()
    assert "extract@host" not in page
    assert 'hx-get="/extractions/workers/" hx-trigger="load"' in page


def test_without_a_recent_check_the_page_loads_the_line_after_and_keeps_the_answer(celery_worker, staff):
    client = Client()
    client.force_login(staff)
    cache.delete(WORKERS_CACHE_KEY)
    seconds, page = page_time(client)
    assert seconds < 0.5
    assert 'hx-get="/extractions/workers/" hx-trigger="load"' in page
    line = client.get("/extractions/workers/", headers={"HX-Request": "true"}).content.decode()
    assert celery_worker.name in line
    assert "(checked just now)" in line
    # The next visit shows that answer at once.
    assert celery_worker.name in client.get("/extractions/").content.decode()


def test_the_workers_line_is_for_staff_only(authed_client):
    assert authed_client.get("/extractions/workers/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_beat_checks_every_30_s_on_the_default_queue_and_drops_a_late_check():
    DatabaseScheduler(app=app)  # what the beat does at start: the schedules from code into its tables
    task = PeriodicTask.objects.get(name="extraction-check-workers")
    assert (task.task, task.interval.every, task.queue, task.expire_seconds) == (
        "extraction.check_workers",
        30,
        "default",
        30,
    )
