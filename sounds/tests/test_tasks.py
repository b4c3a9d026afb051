"""The library's background work through a real Celery worker, watched from a staff websocket."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from live.tests.sockets import connect, receive_until
from sounds import progress, scanner
from sounds.models import Sound
from sounds.scanner import scan
from sounds.services import queue_normalization
from sounds.tasks import normalize_sound_task
from sounds.tests import media

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


async def test_a_scan_runs_in_the_worker_reports_to_staff_and_normalizes_new_sounds(worker_sounds_root):
    sdb = worker_sounds_root / "originals" / "soundboard"
    await sync_to_async(media.speech)(sdb / "greeting.wav", "Good morning everybody")
    (sdb / "broken.mp3").write_text("garbage")
    staff = await sync_to_async(UserFactory.create)(is_staff=True)
    ws, connected = await connect(staff)
    assert connected

    await sync_to_async(scanner.request_scan)(user_id=staff.pk)
    report = await receive_until(ws, 'data-testid="scan-report"', timeout=60)
    assert "<strong>1</strong> added" in report
    assert "<strong>1</strong> errors" in report
    assert "broken.mp3" in report
    sound = await Sound.objects.aget(filename="greeting.wav")
    # The new sound is normalized by its own task; the page's badge flips live.
    frame = await receive_until(ws, f'id="sound-{sound.pk}-status"', timeout=60)
    assert ">ready<" in frame
    await sound.arefresh_from_db()
    assert sound.is_normalized
    assert (worker_sounds_root / "normalized" / "soundboard" / sound.normalized_filename).is_file()
    await ws.disconnect()


async def test_normalize_all_reports_batch_progress_to_staff(worker_sounds_root):
    sdb = worker_sounds_root / "originals" / "soundboard"
    for i in range(2):
        await sync_to_async(media.tone)(sdb / f"t{i}.wav", 1.0, freq=300 + 200 * i)

    result = await sync_to_async(scan)()
    staff = await sync_to_async(UserFactory.create)(is_staff=True)
    ws, _ = await connect(staff)
    await sync_to_async(queue_normalization)(result.new_sound_ids)
    frame = await receive_until(ws, "2 / 2", timeout=60)
    assert 'id="job-progress-normalize"' in frame
    assert "done" in frame
    assert await Sound.objects.filter(is_normalized=True).acount() == 2
    await ws.disconnect()


async def test_a_task_for_a_deleted_sound_just_logs(worker_sounds_root):

    staff = await sync_to_async(UserFactory.create)(is_staff=True)
    ws, _ = await connect(staff)

    batch = await sync_to_async(progress.start_batch)("normalize", total=1)
    await sync_to_async(normalize_sound_task.delay)(sound_id=987654, batch=batch)
    frame = await receive_until(ws, "1 failed", timeout=60)
    assert "1 / 1" in frame
    await ws.disconnect()
