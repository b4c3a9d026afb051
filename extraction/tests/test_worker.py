"""Extraction in real Celery workers: live progress, and a worker killed in the middle of a download."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import subprocess_env
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from extraction.models import Extraction, Status
from extraction.status import extraction_workers
from extraction.tasks import process_task
from live.tests.sockets import connect, receive_until
from sounds.models import Sound

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def test_config(settings, worker_sounds_root):
    settings.EXTRACTION_ALLOW_GENERIC = True
    settings.EXTRACTION_ALLOWED_PRIVATE_IPS = ["127.0.0.1"]
    return worker_sounds_root


async def test_paste_a_link_and_watch_it_become_a_sound(test_config, media_server):
    user = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)
    response = await sync_to_async(client.post)(
        "/api/v1/extractions/", {"url": f"{media_server.base}/tone.mp3"}, content_type="application/json"
    )
    assert response.status_code == 202
    await receive_until(ws, 'data-testid="extraction-status">Working<', timeout=30)
    await receive_until(ws, 'data-testid="extraction-status">Done<', timeout=60)
    job = await Extraction.objects.aget(pk=response.json()["id"])
    assert job.status == Status.COMPLETED
    sound = await Sound.objects.aget(pk=job.sound_id or 0)
    assert sound.is_normalized
    await ws.disconnect()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def test_a_worker_killed_mid_download_never_leaves_the_job_processing(test_config, media_server, celery_worker):
    user = UserFactory.create()
    # A worker of its own, with a real process pool and its own queue: killing the pool's child is a worker
    # lost in the middle of the task, and only this worker can take the job again.
    queue = f"victim-{os.getpid()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "soundboard", "worker", "-Q", queue, "-c", "1",
         "-n", f"victim-{os.getpid()}@localhost", "--without-gossip", "--without-mingle", "-l", "warning"],
        env=subprocess_env(SOUNDS_ROOT=str(test_config), EXTRACTION_ALLOW_GENERIC="true",
                           EXTRACTION_ALLOWED_PRIVATE_IPS="127.0.0.1",
                           # The redelivered message takes the dead run's job over once it stops beating.
                           EXTRACTION_HEARTBEAT_S="0.5", EXTRACTION_TAKEOVER_AFTER_S="2"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        tx = credits.debit(user_id=user.pk, amount=5, action=CreditAction.AUDIO_EXTRACTION)
        job = Extraction.objects.create(
            url=f"{media_server.base}/slow/long.mp3", user=user, service="generic", transaction_id=tx.pk
        )
        process_task.apply_async(kwargs={"extraction_id": job.pk}, queue=queue)
        deadline = time.monotonic() + 60
        while True:  # wait for the download to be under way in one of the workers
            job.refresh_from_db()
            if job.stage == "downloading" and any(p.startswith("/slow/") for p in media_server.hits):
                break
            assert time.monotonic() < deadline, (
                f"the download never started: {job.status}/{job.stage}/{job.error!r}, "
                f"worker alive: {proc.poll() is None}"
            )
            time.sleep(0.05)
        for child in _children(proc.pid):
            os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while True:
            job.refresh_from_db()
            if job.status in (Status.COMPLETED, Status.FAILED):
                break
            assert time.monotonic() < deadline, f"stuck in {job.status}/{job.stage}"
            time.sleep(0.1)
        assert job.status in (Status.COMPLETED, Status.FAILED)
        assert job.attempts == 2  # redelivered after the loss, not left behind
        if job.status == Status.FAILED:
            assert CreditTransaction.objects.filter(user=user, action=CreditAction.REFUND).exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_staff_see_the_queue_and_the_workers_listening(celery_worker, staff):

    client = Client()
    client.force_login(staff)
    html = client.get("/extractions/").content.decode()
    assert 'data-testid="queue-status"' in html
    assert 'data-testid="queue-workers"' in html
    status = client.get("/api/v1/admin/extractions/status").json()
    assert {"pending", "processing", "completed", "failed", "recent_failures", "workers"} <= set(status)
    # A solo worker answers control messages between tasks: give it time to.
    assert celery_worker.name in extraction_workers(timeout=10)


def test_a_live_link_fails_quickly_in_the_worker_and_is_refunded(test_config, media_server, celery_worker):

    user = UserFactory.create()
    client = Client()
    client.force_login(user)
    response = client.post(
        "/api/v1/extractions/", {"url": f"{media_server.base}/hls/live.m3u8"}, content_type="application/json"
    )
    assert response.status_code == 202
    job = Extraction.objects.get(pk=response.json()["id"])
    deadline = time.monotonic() + 60  # today's build holds the worker for the task's 25-minute limit
    while job.status not in (Status.COMPLETED, Status.FAILED):
        assert time.monotonic() < deadline, f"still {job.status}/{job.stage}"
        time.sleep(0.1)
        job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "Live streams can't be extracted" in job.error
    assert not [p for p in media_server.hits if p.endswith(".ts")]
    assert CreditTransaction.objects.filter(user=user, action=CreditAction.REFUND).exists()
