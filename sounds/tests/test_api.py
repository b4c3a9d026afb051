from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from sounds.models import JobState, Scan, Sound
from sounds.scanner import scan
from sounds.services import normalize_sound
from sounds.tests import media
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory.create(is_staff=True))
    return client


def test_listing_filters_by_repeatable_types(authed_client):
    SoundFactory.create(name="a", type="SDB")
    SoundFactory.create(name="b", type="TTS")
    SoundFactory.create(name="c", type="EXT")
    body = authed_client.get("/api/v1/sounds/?types=SDB&types=EXT").json()
    assert [s["name"] for s in body["items"]] == ["a", "c"]
    assert body["total"] == 2
    assert authed_client.get("/api/v1/sounds/?types=NOPE").json()["items"] == []
    assert len(authed_client.get("/api/v1/sounds/").json()["items"]) == 3


def test_listing_searches_sorts_and_pages(authed_client):
    for i, name in enumerate(["Bell", "Bélier", "Drum"]):
        SoundFactory.create(name=name, play_count=i)
    body = authed_client.get("/api/v1/sounds/?q=bel&sort=popular").json()
    assert [s["name"] for s in body["items"]] == ["Bélier", "Bell"]
    page = authed_client.get("/api/v1/sounds/?page=2&page_size=2").json()
    assert [s["name"] for s in page["items"]] == ["Drum"]
    assert page["pages"] == 2


@pytest.mark.parametrize("query", ["?sort=evil", "?page=0", "?page_size=1000", "?page=x"])
def test_bad_listing_parameters_are_400(authed_client, query):
    response = authed_client.get("/api/v1/sounds/" + query)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_scan_is_for_admins(authed_client, staff_client):
    assert authed_client.post("/api/v1/sounds/scan").status_code == 403
    Scan.objects.create(status=JobState.PROCESSING, claim="x", heartbeat_at=timezone.now())  # a live scan
    assert staff_client.post("/api/v1/sounds/scan").status_code == 409


def test_normalize_endpoints_validate_and_queue(staff_client, authed_client, django_capture_on_commit_callbacks):
    sound = SoundFactory.create()
    assert authed_client.post("/api/v1/sounds/normalize/all").status_code == 403
    assert staff_client.post("/api/v1/sounds/normalize/type/XYZ").status_code == 400
    assert staff_client.post("/api/v1/sounds/normalize/424242").status_code == 404
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(f"/api/v1/sounds/normalize/{sound.pk}?force=true&one_pass=true")
    assert response.status_code == 202
    assert response.json()["queued"] == 1
    assert len(callbacks) == 1
    body = staff_client.post("/api/v1/sounds/normalize/type/SDB").json()
    assert body["queued"] == 1


@pytest.fixture
def real_sound(sdb):
    media.tone(sdb / "Grüße à tous.wav", 3.5)
    scan()

    return Sound.objects.get()


def test_download_prefers_the_normalized_file(authed_client, real_sound):
    original = authed_client.get(f"/api/v1/files/sounds/{real_sound.pk}/download")
    assert original.status_code == 200
    assert original["Content-Type"] == "audio/wav"
    assert b"".join(original.streaming_content) == real_sound.original_path.read_bytes()
    normalize_sound(sound=real_sound)
    response = authed_client.get(f"/api/v1/files/sounds/{real_sound.pk}/download")
    assert response["Content-Type"] == "audio/mpeg"
    assert f"filename*=UTF-8''{quote('Grüße à tous.mp3')}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")  # a download, never shown inline
    assert response["Accept-Ranges"] == "bytes"


def test_download_supports_ranges(authed_client, real_sound):
    data = real_sound.original_path.read_bytes()
    url = f"/api/v1/files/sounds/{real_sound.pk}/download"
    part = authed_client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert b"".join(part.streaming_content) == data[10:20]
    tail = authed_client.get(url, HTTP_RANGE="bytes=-5")
    assert b"".join(tail.streaming_content) == data[-5:]
    assert authed_client.get(url, HTTP_RANGE=f"bytes={len(data) + 5}-").status_code == 416
    assert authed_client.get(url, HTTP_RANGE="bytes=oops").status_code == 200


def test_a_missing_file_is_404_not_500(authed_client, real_sound):
    real_sound.original_path.unlink()
    response = authed_client.get(f"/api/v1/files/sounds/{real_sound.pk}/download")
    assert response.status_code == 404
    assert authed_client.get("/api/v1/files/sounds/999999/download").status_code == 404
    assert authed_client.get("/api/v1/files/sounds/abc/download").status_code in (400, 404)


def test_files_need_auth_and_accept_tokens(real_sound, user):
    url = f"/api/v1/files/sounds/{real_sound.pk}/download"
    assert Client().get(url).status_code == 401
    _, raw = ApiToken.issue(user=user, name="t")
    assert Client().get(url, headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_thumbnails_are_served_with_an_hour_of_cache(authed_client, real_sound, sounds_root):
    assert authed_client.get(f"/api/v1/files/sounds/{real_sound.pk}/thumbnail").status_code == 404
    thumbs = sounds_root / "originals" / "extracted" / "thumbnails"
    thumbs.mkdir(parents=True)
    (thumbs / "t.jpg").write_bytes(b"\xff\xd8\xff\xe0fakejpeg")
    (listed,) = authed_client.get("/api/v1/sounds/").json()["items"]
    assert listed["thumbnail_url"] == ""
    real_sound.thumbnail = "t.jpg"
    real_sound.save()
    (listed,) = authed_client.get("/api/v1/sounds/").json()["items"]
    # One field says whether there is a picture and where: its address, or "" (no separate has_thumbnail).
    assert listed["thumbnail_url"] == f"/api/v1/files/sounds/{real_sound.pk}/thumbnail"
    assert "has_thumbnail" not in listed
    response = authed_client.get(listed["thumbnail_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age=3600" in response["Cache-Control"]
