from __future__ import annotations

import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sounds.models import Sound
from sounds.tests import media

pytestmark = pytest.mark.django_db


def upload(client, *files, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post("/sounds/upload/", {"audio": list(files)}, **headers)


def as_upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def leftovers(sounds_root):
    return sorted(p.name for p in sounds_root.rglob("*") if p.is_file())


def test_uploading_a_sound_stores_it_under_a_server_made_name_and_queues_normalization(
    authed_client, user, sdb, tmp_path, django_capture_on_commit_callbacks
):
    src = media.tone(tmp_path / "src.wav", 0.8)
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(authed_client, as_upload(src, "../../etc/My “Best” Horn!.wav"))
    assert response.status_code == 200
    sound = Sound.objects.get()
    assert sound.name == "My “Best” Horn!"
    assert sound.uploaded_by == user
    assert sound.type == "SDB"
    assert "/" not in sound.filename
    assert sound.filename.startswith("my-best-horn-")
    assert sound.filename.endswith(".wav")
    assert (sdb / sound.filename).is_file()
    assert len(callbacks) == 1  # the normalization task is sent after commit
    assert "added" in response["HX-Trigger"]


def test_several_files_at_once(authed_client, sdb, tmp_path):
    a = media.tone(tmp_path / "a.mp3", 0.5)
    b = media.noise(tmp_path / "b.flac", 0.5)
    response = upload(authed_client, as_upload(a), as_upload(b))
    assert response.status_code == 200
    assert Sound.objects.count() == 2
    assert "2 sounds added" in response["HX-Trigger"]


def test_a_duplicate_upload_is_refused_with_409_and_names_the_existing_sound(authed_client, sdb, sounds_root, tmp_path):
    src = media.tone(tmp_path / "horn.wav", 0.5)
    upload(authed_client, as_upload(src, "horn.wav"))
    before = leftovers(sounds_root)
    response = upload(authed_client, as_upload(src, "copy.wav"))
    assert response.status_code == 409
    assert "already in the library as “Horn”" in response.content.decode()
    assert Sound.objects.count() == 1
    assert leftovers(sounds_root) == before


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.mp3", b"", "empty"),
        ("notes.mp3", b"just some text\n" * 100, "not an audio file"),
    ],
)
def test_non_audio_uploads_are_refused_and_leave_nothing(authed_client, sounds_root, name, content, reason):
    response = upload(authed_client, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Sound.objects.exists()
    assert leftovers(sounds_root) == []


def test_an_image_uploaded_as_audio_is_refused(authed_client, sounds_root, tmp_path):
    png = tmp_path / "photo.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=16x16",
            "-frames:v",
            "1",
            "-f",
            "image2",
            "-c:v",
            "png",
            str(png),
        ],
        check=True,
    )
    response = upload(authed_client, as_upload(png))
    assert response.status_code == 400
    assert "no audio stream" in response.content.decode()
    assert leftovers(sounds_root) == []


def test_a_file_over_the_size_limit_is_refused(authed_client, sounds_root, tmp_path, settings):
    settings.SOUNDS_MAX_UPLOAD_MB = 1
    src = media.noise(tmp_path / "big.wav", 15)  # ~1.3 MB of PCM
    response = upload(authed_client, as_upload(src))
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert leftovers(sounds_root) == []


def test_a_file_over_the_duration_limit_is_refused(authed_client, sounds_root, tmp_path, settings):
    settings.SOUNDS_MAX_DURATION_S = 1
    src = media.tone(tmp_path / "long.mp3", 2.0)
    response = upload(authed_client, as_upload(src))
    assert response.status_code == 400
    assert "longer than 1 second," in response.content.decode()
    assert leftovers(sounds_root) == []


def test_an_upload_without_files_explains_itself(authed_client):
    response = authed_client.post("/sounds/upload/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_the_upload_page_works_without_javascript(authed_client, sdb, tmp_path):
    assert authed_client.get("/sounds/upload/").status_code == 200
    src = media.tone(tmp_path / "plain.wav", 0.4)
    response = upload(authed_client, as_upload(src), htmx=False)
    assert response.status_code == 302
    assert Sound.objects.filter(name="Plain").exists()


def test_the_api_upload_answers_201_409_and_400(authed_client, sdb, tmp_path):
    src = media.tone(tmp_path / "api.wav", 0.4)
    created = authed_client.post("/api/v1/sounds/upload", {"file": as_upload(src)})
    assert created.status_code == 201
    assert created.json()["name"] == "Api"
    duplicate = authed_client.post("/api/v1/sounds/upload", {"file": as_upload(src)})
    assert duplicate.status_code == 409
    assert "already in the library" in duplicate.json()["detail"]
    bad = authed_client.post("/api/v1/sounds/upload", {"file": SimpleUploadedFile("x.mp3", b"nope")})
    assert bad.status_code == 400


def test_the_upload_panel_loads_as_a_partial_for_htmx(authed_client):
    html = authed_client.get("/sounds/upload/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="upload-card"' in html
    assert "<html" not in html
    assert 'id="credit-balance"' not in html
