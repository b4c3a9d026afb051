"""The work the API hands to the workers (scan, normalization, TTS) answers something to poll, and polling it
through a real Celery worker shows the work's state and progress until it is finished."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from extraction.models import Extraction
from sounds.models import Sound
from sounds.tests import media
from sounds.tests.factories import SoundFactory


def bearer(user: Any) -> Client:
    _, raw = ApiToken.issue(user=user, name="poller")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def poll(client: Client, url: str, timeout: float = 90) -> dict[str, Any]:
    """GET `url` until it says finished (or done/failed), as a program would."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url).json()
        if body.get("finished") or body.get("status") in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, f"{url} still says {body} after {timeout} s"
        time.sleep(0.2)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_scan_then_its_normalizations_are_followed_to_the_end(worker_sounds_root):
    sdb = worker_sounds_root / "originals" / "soundboard"
    media.tone(sdb / "one.wav", 1.0)
    media.tone(sdb / "two.wav", 1.0, freq=660)
    staff = bearer(UserFactory.create(is_staff=True))

    started = staff.post("/api/v1/sounds/scan")
    assert started.status_code == 202
    queued = started.json()
    assert queued["status_url"] == f"/api/v1/sounds/scan/{queued['job_id']}"
    scan = poll(staff, queued["status_url"])
    assert scan["status"] == "done"
    assert scan["counts"]["added"] == 2
    assert scan["done"] == scan["total"] == 2
    assert Sound.objects.count() == 2

    ids = list(Sound.objects.values_list("pk", flat=True))
    answer = staff.post(f"/api/v1/sounds/normalize/{ids[0]}?force=true").json()
    assert answer["status_url"] == f"/api/v1/sounds/normalize/batches/{answer['batch']}"
    batch = poll(staff, answer["status_url"])
    assert batch == {"batch": answer["batch"], "total": 1, "done": 1, "failed": 0, "finished": True}
    assert Sound.objects.get(pk=ids[0]).is_normalized


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_tts_line_is_followed_until_its_sound_exists(worker_sounds_root):
    user = UserFactory.create()
    client = bearer(user)
    answer = client.post("/api/v1/sounds/tts", {"text": "Hello there"}, "application/json")
    assert answer.status_code == 202
    job = poll(client, answer.json()["status_url"])
    assert job["status"] == "done"
    assert Sound.objects.filter(pk=job["sound_id"]).exists()
    # Someone else's line does not exist, as far as they can tell.
    assert bearer(UserFactory.create()).get(answer.json()["status_url"]).status_code == 404


@pytest.mark.django_db
def test_polling_addresses_refuse_what_is_not_theirs_to_show(user, staff):
    plain, admin = bearer(user), bearer(staff)
    assert plain.get("/api/v1/sounds/scan/1").status_code == 403
    assert admin.get("/api/v1/sounds/scan/424242").status_code == 404
    assert plain.get("/api/v1/sounds/normalize/batches/normalize-0123456789ab").status_code == 403
    for batch in ("normalize-0123456789ab", "scan-1", "../../etc", "normalize-*", "x" * 500):
        response = admin.get(f"/api/v1/sounds/normalize/batches/{batch}")
        assert response.status_code == 404, batch
        assert response.json()["detail"]
    assert plain.get("/api/v1/sounds/tts/99999999999999999999").status_code == 404


@pytest.mark.django_db
def test_nothing_to_normalize_gives_nothing_to_poll(staff):
    SoundFactory.create(is_normalized=True)
    body = bearer(staff).post("/api/v1/sounds/normalize/all").json()
    assert body["queued"] == 0
    assert body["status_url"] is None


@pytest.mark.django_db
def test_an_extraction_says_where_to_follow_it(user):
    # Submitting resolves the link's host (no network here): the row is made directly; the answer of a submit
    # is the same schema.
    job = Extraction.objects.create(url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", user=user)
    client = bearer(user)
    [listed] = client.get("/api/v1/extractions/").json()
    assert listed["status_url"] == f"/api/v1/extractions/{job.pk}"
    followed = client.get(listed["status_url"]).json()
    assert (followed["id"], followed["status"], followed["progress"]) == (job.pk, "pending", 0)
    assert bearer(UserFactory.create()).get(listed["status_url"]).status_code == 404
