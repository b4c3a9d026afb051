"""The library's jobs are claimed: one run at a time, nothing written by a run that lost its job, attempt limits,
lost messages re-sent by the sweep, and every state visible."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.tests.factories import UserFactory
from core.claims import Lost, Outcome
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from live.tests.sockets import connect, receive_until
from sounds import scanner, services, speech
from sounds.models import JobState, Scan, Sound, TtsJob
from sounds.sweep import sweep
from sounds.tests import media

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(hours=1)


def _scanned(sdb, name="a.wav", seconds=0.5) -> Sound:
    media.tone(sdb / name, seconds, freq=300 + 10 * Sound.objects.count())  # distinct audio, not a duplicate
    scanner.scan()
    return Sound.objects.get(filename=name)


def _tts_job(user, **fields) -> TtsJob:
    tx = credits.debit(user_id=user.pk, amount=2, action=CreditAction.TEXT_TO_SPEECH)
    return TtsJob.objects.create(
        user=user, text="Hello there", voice="en-us", speed=160, transaction_id=tx.pk, **fields
    )


def _refunds(user) -> int:
    return CreditTransaction.objects.filter(user=user, action=CreditAction.REFUND).count()


# --- Normalization ------------------------------------------------------------------------------------------
def test_only_one_run_can_hold_a_sounds_normalization(sdb):
    sound = _scanned(sdb)
    first = services.claim_normalization(sound.pk)
    assert isinstance(first, Sound)
    assert (first.normalization_status, first.normalization_attempts) == (JobState.PROCESSING, 1)
    assert services.claim_normalization(sound.pk) is Outcome.BUSY  # a redelivery while the first run beats
    assert services.process_normalization(sound_id=sound.pk).status == "busy"
    sound.refresh_from_db()
    assert sound.normalization_attempts == 1


def test_a_normalization_run_that_was_taken_over_changes_nothing(sdb):
    sound = _scanned(sdb)
    first = services.claim_normalization(sound.pk)
    assert isinstance(first, Sound)
    # Its worker went quiet: a redelivered message takes the job over and finishes it.
    Sound.objects.filter(pk=sound.pk).update(normalization_heartbeat_at=timezone.now() - LONG_AGO)
    assert services.process_normalization(sound_id=sound.pk).status == "normalized"
    with pytest.raises(Lost):
        services._failed(first, "the old run's failure")
    sound.refresh_from_db()
    assert (sound.normalization_status, sound.normalization_error, sound.normalization_attempts) == ("done", "", 2)
    assert sound.is_normalized


def test_past_the_attempt_limit_a_normalization_fails_with_a_reason(sdb, settings):
    sound = _scanned(sdb)
    Sound.objects.filter(pk=sound.pk).update(normalization_attempts=settings.SOUNDS_JOB_MAX_ATTEMPTS)
    assert services.process_normalization(sound_id=sound.pk).status == "skipped"
    sound.refresh_from_db()
    assert sound.normalization_status == JobState.FAILED
    assert "several attempts" in sound.normalization_error
    assert sound.playable_path() is None


def test_asking_again_reopens_a_failed_normalization_with_fresh_attempts(sdb, settings):
    sound = _scanned(sdb)
    Sound.objects.filter(pk=sound.pk).update(
        normalization_status=JobState.FAILED, normalization_error="x", normalization_attempts=3
    )
    services.queue_normalization([sound.pk])
    sound.refresh_from_db()
    assert (sound.normalization_status, sound.normalization_attempts, sound.normalization_error) == ("pending", 0, "")


def test_the_sweep_resends_lost_normalizations_and_retries_dead_runs_once(sdb, django_capture_on_commit_callbacks):
    lost, dead, fresh = (_scanned(sdb, f"{n}.wav") for n in ("lost", "dead", "fresh"))
    old = timezone.now() - LONG_AGO
    Sound.objects.filter(pk=lost.pk).update(normalization_heartbeat_at=old)
    Sound.objects.filter(pk=fresh.pk).update(normalization_heartbeat_at=timezone.now())
    Sound.objects.filter(pk=dead.pk).update(
        normalization_status=JobState.PROCESSING, normalization_claim="gone", normalization_heartbeat_at=old,
        normalization_attempts=1,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep()["normalize"] == {"retried": 1, "failed": 0, "requeued": 1}
        assert sweep()["normalize"] == {"retried": 0, "failed": 0, "requeued": 0}  # nothing twice
    assert sorted(c.args[0] for c in callbacks) == sorted([lost.pk, dead.pk])
    dead.refresh_from_db()
    assert (dead.normalization_status, dead.normalization_claim) == ("pending", "")


def test_a_dead_run_past_the_attempt_limit_is_failed_by_the_sweep(sdb, settings):
    sound = _scanned(sdb)
    Sound.objects.filter(pk=sound.pk).update(
        normalization_status=JobState.PROCESSING, normalization_claim="gone",
        normalization_heartbeat_at=timezone.now() - LONG_AGO, normalization_attempts=settings.SOUNDS_JOB_MAX_ATTEMPTS,
    )  # fmt: skip
    assert sweep()["normalize"]["failed"] == 1
    assert sweep()["normalize"]["failed"] == 0
    sound.refresh_from_db()
    assert sound.normalization_status == JobState.FAILED


def test_the_uploader_sees_waiting_and_working_states_on_the_board(authed_client, sdb, tmp_path):
    upload = SimpleUploadedFile("horn.wav", media.tone(tmp_path / "horn.wav", 0.4).read_bytes())
    assert authed_client.post("/api/v1/sounds/upload", {"file": upload}).status_code == 201  # no worker runs here
    sound = Sound.objects.get()
    page = authed_client.get("/").content.decode()
    assert f'id="sound-{sound.pk}-status"' in page
    assert ">waiting</span>" in page
    Sound.objects.filter(pk=sound.pk).update(normalization_status=JobState.PROCESSING)
    assert ">levelling…</span>" in authed_client.get("/").content.decode()
    assert authed_client.get("/api/v1/sounds/").json()["items"][0]["normalization_status"] == "processing"


# --- Text to speech ---------------------------------------------------------------------------------------------
def test_only_one_run_can_hold_a_tts_job(user):
    job = _tts_job(user)
    first = speech.claim(job.pk)
    assert isinstance(first, TtsJob)
    assert (first.status, first.attempts) == (JobState.PROCESSING, 1)
    assert speech.claim(job.pk) is Outcome.BUSY
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_tts_run_that_was_taken_over_can_change_nothing(user):
    job = _tts_job(user)
    first = speech.claim(job.pk)
    assert isinstance(first, TtsJob)
    TtsJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    second = speech.claim(job.pk)
    assert isinstance(second, TtsJob)
    with pytest.raises(Lost):
        speech._update(first, status=JobState.FAILED, error="the old run's failure")
    assert _refunds(user) == 0
    job.refresh_from_db()
    assert (job.status, job.claim, job.attempts) == (JobState.PROCESSING, second.claim, 2)


def test_past_the_attempt_limit_a_tts_job_fails_and_refunds_once(user, settings):
    job = _tts_job(user, attempts=settings.SOUNDS_JOB_MAX_ATTEMPTS)
    assert speech.process(job.pk) is Outcome.DONE
    assert speech.process(job.pk) is Outcome.DONE  # a second delivery changes nothing
    job.refresh_from_db()
    assert job.status == JobState.FAILED
    assert "several attempts" in job.error
    assert _refunds(user) == 1
    user.refresh_from_db()
    assert user.credits == 25


def test_a_dead_tts_run_is_failed_and_refunded_once_by_two_sweeps(user, settings):
    job = _tts_job(user, status=JobState.PROCESSING, claim="gone", attempts=settings.SOUNDS_JOB_MAX_ATTEMPTS)
    TtsJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    assert sweep()["tts"]["failed"] == 1
    assert sweep()["tts"]["failed"] == 0
    assert _refunds(user) == 1


@pytest.mark.django_db(transaction=True)
def test_a_tts_line_that_cannot_be_queued_after_the_debit_is_failed_and_refunded(user, monkeypatch):
    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # The broker is infrastructure: make it refuse the way a stopped Redis does.
    monkeypatch.setattr("core.jobs.current_app.send_task", broker_down)
    client = Client()
    client.force_login(user)
    response = client.post("/api/v1/sounds/tts", {"text": "hello there"}, content_type="application/json")
    assert response.status_code == 503
    assert "refunded" in response.json()["detail"]
    user.refresh_from_db()
    assert user.credits == 25
    assert TtsJob.objects.get(user=user).status == JobState.FAILED
    assert _refunds(user) == 1


# --- Scan ---------------------------------------------------------------------------------------------------------
def test_a_scan_whose_worker_died_does_not_block_the_next_one_and_staff_see_why(sdb, staff):
    dead = Scan.objects.create(status=JobState.PROCESSING, claim="gone", heartbeat_at=timezone.now() - LONG_AGO)
    media.tone(sdb / "a.wav", 0.2)
    assert scanner.scan().added == ["soundboard/a.wav"]
    dead.refresh_from_db()
    assert (dead.status, dead.active) == (JobState.FAILED, None)
    client = Client()
    client.force_login(staff)
    assert "Last scan" in client.get("/").content.decode()
    Scan.objects.create(status=JobState.PROCESSING, claim="live", heartbeat_at=timezone.now())
    assert "A scan is running" in client.get("/").content.decode()
    assert client.post("/api/v1/sounds/scan").status_code == 409  # that one is alive


@pytest.mark.django_db(transaction=True)
def test_a_scan_that_cannot_be_queued_is_a_clear_503_and_frees_its_place(sdb, staff, monkeypatch):
    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("core.jobs.current_app.send_task", broker_down)
    client = Client()
    client.force_login(staff)
    response = client.post("/api/v1/sounds/scan")
    assert response.status_code == 503
    assert "could not be queued" in response.json()["detail"]
    failed = Scan.objects.get()
    assert (failed.status, failed.active) == (JobState.FAILED, None)
    monkeypatch.undo()  # the broker is back: the next scan may be asked for (the failed one holds no place)
    monkeypatch.setattr("core.jobs.current_app.send_task", lambda *args, **kwargs: None)
    assert client.post("/api/v1/sounds/scan").status_code == 202
    assert Scan.objects.filter(active=True).count() == 1


def test_a_queued_scan_runs_once_however_often_it_is_delivered(sdb):
    row = Scan.objects.create(heartbeat_at=timezone.now())
    claimed = scanner.claim(row.pk)
    assert isinstance(claimed, Scan)
    assert scanner.claim(row.pk) is Outcome.BUSY
    scanner.run_claimed(claimed)
    assert scanner.claim(row.pk) is Outcome.DONE
    row.refresh_from_db()
    assert (row.status, row.active) == (JobState.DONE, None)


# --- Through the real worker ----------------------------------------------------------------------------------
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_a_lost_normalization_message_is_resent_by_the_sweep_and_the_worker_finishes_it(worker_sounds_root):
    sdb = worker_sounds_root / "originals" / "soundboard"
    await sync_to_async(media.tone)(sdb / "lost.wav", 0.8)
    await sync_to_async(scanner.scan)()  # queues nothing: as if its message was lost
    sound = await Sound.objects.aget(filename="lost.wav")
    await Sound.objects.filter(pk=sound.pk).aupdate(normalization_heartbeat_at=timezone.now() - LONG_AGO)
    staff = await sync_to_async(UserFactory.create)(is_staff=True)
    ws, _ = await connect(staff)
    assert (await sync_to_async(sweep)())["normalize"]["requeued"] == 1
    frame = await receive_until(ws, f'id="sound-{sound.pk}-status"', timeout=60)
    assert ">ready</span>" in frame
    await sound.arefresh_from_db()
    assert (sound.normalization_status, sound.is_normalized) == ("done", True)
    await ws.disconnect()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_a_lost_tts_message_is_resent_by_the_sweep_and_the_worker_makes_the_line(worker_sounds_root):
    user = await sync_to_async(UserFactory.create)()
    job = await sync_to_async(_tts_job)(user)
    await TtsJob.objects.filter(pk=job.pk).aupdate(heartbeat_at=timezone.now() - LONG_AGO)
    ws, _ = await connect(user)
    assert (await sync_to_async(sweep)())["tts"]["requeued"] == 1
    await receive_until(ws, "is ready on the board", timeout=60)
    await job.arefresh_from_db()
    assert job.status == JobState.DONE
    assert job.sound_id is not None
    sound = await Sound.objects.aget(pk=job.sound_id)
    assert sound.is_normalized
    assert await sync_to_async(_refunds)(user) == 0
    await ws.disconnect()
