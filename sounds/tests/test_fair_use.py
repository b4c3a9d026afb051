"""One user can't flood the library or the shared workers: rate limits, a storage quota, caps on waiting jobs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from credits.models import CreditTransaction
from sounds.models import JobState, Sound, TtsJob
from sounds.tests import media

pytestmark = pytest.mark.django_db


def api_upload(client, path, name=None):
    return client.post("/api/v1/sounds/upload", {"file": SimpleUploadedFile(name or path.name, path.read_bytes())})


def test_uploads_are_rate_limited_per_user_with_retry_after(authed_client, sdb, tmp_path, settings):
    settings.UPLOAD_RATE_LIMIT = "2/m"
    answers = [api_upload(authed_client, media.tone(tmp_path / f"t{i}.wav", 0.3, freq=300 + i)) for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2]["Retry-After"]) > 0
    assert Sound.objects.count() == 2


def test_the_storage_quota_refuses_with_413_and_keeps_nothing(authed_client, sdb, tmp_path, settings, user):
    settings.SOUNDS_USER_QUOTA_MB = 1
    first = media.noise(tmp_path / "a.wav", 8)  # ~700 kB
    assert api_upload(authed_client, first).status_code == 201
    before = sorted(p.name for p in sdb.iterdir())
    second = media.noise(tmp_path / "b.wav", 8, color="white")
    response = api_upload(authed_client, second)
    assert response.status_code == 413
    assert "quota of 1 MB" in response.json()["detail"]
    assert Sound.objects.count() == 1
    assert sorted(p.name for p in sdb.iterdir()) == before


def test_a_user_cannot_queue_more_normalizations_than_the_cap(authed_client, sdb, tmp_path, settings):
    settings.SOUNDS_MAX_PENDING_PER_USER = 2
    # No worker runs here: every upload stays waiting for its normalization.
    codes = [
        api_upload(authed_client, media.tone(tmp_path / f"p{i}.wav", 0.3, freq=500 + i)).status_code for i in range(3)
    ]
    assert codes == [201, 201, 429]
    assert Sound.objects.count() == 2


def test_tts_is_rate_limited_before_any_charge(authed_client, settings):
    settings.TTS_RATE_LIMIT = "1/m"
    first = authed_client.post("/api/v1/sounds/tts", {"text": "hello there"}, content_type="application/json")
    assert first.status_code == 202
    charged = CreditTransaction.objects.count()
    second = authed_client.post("/api/v1/sounds/tts", {"text": "hello again"}, content_type="application/json")
    assert second.status_code == 429
    assert second["Retry-After"]
    assert CreditTransaction.objects.count() == charged


def test_tts_lines_waiting_for_the_worker_are_capped_and_a_finished_one_frees_its_place(
    authed_client, user, settings, django_capture_on_commit_callbacks
):
    settings.TTS_MAX_PENDING_PER_USER = 2
    before = CreditTransaction.objects.count()
    with django_capture_on_commit_callbacks():  # the tasks are not sent: they stay waiting
        codes = [
            authed_client.post("/api/v1/sounds/tts", {"text": f"line {n}"}, content_type="application/json").status_code
            for n in ("one", "two", "three")
        ]
    assert codes == [202, 202, 429]
    assert CreditTransaction.objects.count() == before + 2  # the refused line was not charged
    assert TtsJob.objects.filter(user=user, status=JobState.PENDING).count() == 2  # the cap counts these rows
    # A line that is made (or fails) no longer waits: its row is done.
    first = TtsJob.objects.filter(user=user).earliest("pk")
    TtsJob.objects.filter(pk=first.pk).update(status=JobState.DONE)
    again = authed_client.post("/api/v1/sounds/tts", {"text": "line four"}, content_type="application/json")
    assert again.status_code == 202
