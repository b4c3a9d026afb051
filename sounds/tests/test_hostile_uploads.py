"""Uploads an attacker would try: polyglots named as web documents, a FLAC whose header lies about its
length, a file past the size cap. Each is sent for real through the upload page or the API."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sounds import audio, uploads
from sounds.models import Sound
from sounds.tests import media

pytestmark = pytest.mark.django_db


def api_upload(client, path, name):
    return client.post("/api/v1/sounds/upload", {"file": SimpleUploadedFile(name, path.read_bytes())})


def files_under(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["evil.html", "evil.svg", "evil.xhtml"])
def test_an_au_file_carrying_html_is_refused_whatever_its_name(authed_client, sounds_root, tmp_path, name):
    polyglot = media.au_polyglot(tmp_path / "evil.au")
    assert audio.ffprobe(polyglot).format_name == "au"  # really audio: ffmpeg plays it
    response = api_upload(authed_client, polyglot, name)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "not accepted" in detail
    assert audio.ACCEPTED_FORMATS in detail
    assert not Sound.objects.exists()
    assert files_under(sounds_root) == []


@pytest.mark.parametrize(
    ("make", "name", "extension", "content_type"),
    [
        (media.wav_polyglot, "evil.html", ".wav", "audio/wav"),
        (media.mp3_polyglot, "evil.svg", ".mp3", "audio/mpeg"),
        (media.wav_polyglot, "evil.xhtml", ".wav", "audio/wav"),
    ],
)
def test_an_accepted_polyglot_is_stored_and_served_as_audio_never_as_a_document(
    authed_client, sdb, tmp_path, make, name, extension, content_type
):
    polyglot = make(tmp_path / f"src{extension}")
    response = api_upload(authed_client, polyglot, name)
    assert response.status_code == 201
    sound = Sound.objects.get()
    # The extension comes from the detected container, never from the name the client sent.
    assert sound.filename.endswith(extension)
    assert ".html" not in sound.filename
    assert ".svg" not in sound.filename
    download = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download")
    assert download.status_code == 200
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert media.HTML_PAYLOAD in b"".join(download.streaming_content)  # the bytes are intact, just harmless


def test_a_file_stored_before_the_fix_under_an_html_name_is_served_as_octet_stream(authed_client, sdb, tmp_path):
    polyglot = media.au_polyglot(sdb / "evil.html")
    sound = Sound.objects.create(name="Evil", filename="evil.html", hash="e" * 64, size=polyglot.stat().st_size)
    for endpoint in ("download", "preview"):
        response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/{endpoint}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")  # not even the preview is inline
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_flac_whose_header_claims_one_second_but_decodes_to_two_hours_is_refused(
    authed_client, sounds_root, tmp_path
):
    liar = media.lying_flac(tmp_path / "short.flac", real_seconds=7200, claimed_seconds=1)
    assert audio.probe(liar).duration_ms == 1000  # what the header says
    response = api_upload(authed_client, liar, "short.flac")
    assert response.status_code == 400
    assert "longer than 10 minutes" in response.json()["detail"]
    assert not Sound.objects.exists()
    assert files_under(sounds_root) == []


def test_an_honest_sound_records_its_decoded_length(authed_client, sdb, tmp_path):
    src = media.tone(tmp_path / "honest.flac", 2.0)
    assert api_upload(authed_client, src, "honest.flac").status_code == 201
    assert abs(Sound.objects.get().duration - 2000) < 50


def test_a_file_past_the_size_cap_is_stopped_while_it_is_received(authed_client, sounds_root, tmp_path, settings):
    settings.SOUNDS_MAX_UPLOAD_MB = 1
    src = media.noise(tmp_path / "big.wav", 15)  # ~1.3 MB
    # A spool folder of its own: other test processes (and their uploads) share var/tmp.
    temp_dir = settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "spool"
    temp_dir.mkdir()
    before = set(temp_dir.iterdir())
    response = api_upload(authed_client, src, "big.wav")
    assert response.status_code == 413
    assert "larger than 1 MB" in response.json()["detail"]
    page = authed_client.post("/sounds/upload/", {"audio": [SimpleUploadedFile("big.wav", src.read_bytes())]})
    assert page.status_code == 413
    assert "larger than 1 MB" in page.content.decode()
    # Nothing was kept: no sound, no stored file, no temporary file left in var/tmp.
    assert not Sound.objects.exists()
    assert files_under(sounds_root) == []
    assert set(temp_dir.iterdir()) == before


def test_uploads_are_spooled_under_var_tmp(settings):
    assert settings.FILE_UPLOAD_TEMP_DIR.is_relative_to(settings.VAR_DIR)
    assert settings.FILE_UPLOAD_HANDLERS == ["sounds.upload_handlers.CappedUploadHandler"]


def test_control_characters_in_an_upload_name_never_reach_the_sound(authed_client, sdb, tmp_path):
    src = media.tone(tmp_path / "a.wav", 0.4)
    # (A multipart header can't carry CR/LF; tabs, escapes and bidi overrides it can.)
    response = api_upload(authed_client, src, "Air\thorn\x1b[31m\u202e.wav")
    assert response.status_code == 201
    sound = Sound.objects.get()
    assert sound.name.startswith("Air")
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in sound.name + sound.filename)


def test_cr_and_lf_in_a_name_are_stripped_where_the_sound_is_made(user, sdb, tmp_path):
    src = media.tone(tmp_path / "b.wav", 0.4)
    named = SimpleUploadedFile("Line one\r\nSet-Cookie: x=1.wav", src.read_bytes())
    sound = uploads.import_upload(uploaded=named, user=user)
    assert sound.name == "Line one Set Cookie: x=1"
