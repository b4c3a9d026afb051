"""yt-dlp as it runs in 2026: its JavaScript runtime from the lock, no curl-cffi, warnings kept, thumbnails and
work folders where the settings say. The internet is the local media server, as everywhere in these tests."""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yt_dlp.networking  # noqa: F401  (registers every request handler yt-dlp can use here)
from django.test import Client
from yt_dlp.networking.common import _REQUEST_HANDLERS

from extraction import checks, clips, services, tooling
from extraction.models import Extraction, Status
from sounds import audio
from sounds.models import Sound
from sounds.tests import media

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_curl_cffi_is_neither_locked_nor_installed_nor_used_by_yt_dlp():
    # curl-cffi resolves names in C, where extraction.urlguard's getaddrinfo guard never sees them.
    assert 'name = "curl-cffi"' not in (ROOT / "uv.lock").read_text()
    assert importlib.util.find_spec("curl_cffi") is None
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("curl-cffi")
    assert "Urllib" in _REQUEST_HANDLERS
    assert not any("curl" in name.lower() for name in _REQUEST_HANDLERS)


def test_yt_dlp_finds_the_deno_installed_from_the_lock_and_its_challenge_scripts():
    found = tooling.detect(fresh=True)

    assert found.ytdlp_version == metadata.version("yt-dlp")
    assert found.ejs_version == metadata.version("yt-dlp-ejs")
    assert found.js_runtime is not None
    assert (found.js_runtime.name, found.js_runtime.version) == ("deno", metadata.version("deno"))
    assert found.js_ready
    assert tooling.runtime_label(found) == f"deno {metadata.version('deno')}"


def test_make_update_ytdlp_bumps_the_lock_for_yt_dlp_and_its_runtime():
    makefile = (ROOT / "Makefile").read_text()
    target = makefile[makefile.index("\nupdate-ytdlp:") :]
    assert "uv lock --upgrade-package yt-dlp --upgrade-package yt-dlp-ejs --upgrade-package deno" in target
    assert "curl-cffi" in target  # the lock is refused if an upgrade brought it in


def _described_page(server, name: str, *, picture: str) -> str:
    """A page whose JSON-LD names the audio, its length and a picture: yt-dlp's generic extractor takes it
    (and warns that it fell back on the generic extractor, a real yt-dlp warning)."""
    data = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": "A described tone",
        "duration": "PT8S",
        "uploadDate": "2026-01-01",
        "thumbnailUrl": f"{server.base}/{picture}",
        "contentUrl": f"{server.base}/tone.mp3",
    }
    page = f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body></body></html>'
    (server.root / name).write_text(page)
    return f"{server.base}/{name}"


def _size(path: Path) -> tuple[int, int]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,codec_name",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    stream = json.loads(out)["streams"][0]
    assert stream["codec_name"] == "mjpeg"
    return int(stream["width"]), int(stream["height"])


def test_an_extracted_sound_keeps_a_small_jpeg_of_its_picture_where_the_settings_say(
    user, local_extraction, media_server, settings, tmp_path, caplog
):
    settings.EXTRACTION_TEMP_DIR = tmp_path / "work"
    settings.EXTRACTION_THUMBNAILS_DIR = local_extraction / "pictures"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=1280x720:d=1", "-frames:v", "1",
         str(media_server.root / "wide.png")],
        check=True,
    )  # fmt: skip
    url = _described_page(media_server, "described.html", picture="wide.png")

    with caplog.at_level(logging.WARNING, logger="extraction.runner"):
        job = services.submit(user=user, url=url)
        services.process(job)
    job.refresh_from_db()

    assert job.status == Status.COMPLETED, job.error
    sound = Sound.objects.get(pk=job.sound_id or 0)
    assert sound.thumbnail.endswith(".jpg")
    stored = local_extraction / "pictures" / sound.thumbnail
    assert stored.is_file()
    assert _size(stored) == (320, 180)
    assert not (local_extraction / "originals" / "extracted" / "thumbnails").exists()
    # Work happened under EXTRACTION_TEMP_DIR, and nothing is left there.
    assert (tmp_path / "work").is_dir()
    assert not any((tmp_path / "work").iterdir())
    assert not (local_extraction / "temp").exists()
    # yt-dlp's warning is logged at warning level and kept on the job for staff.
    assert "Falling back on generic information extractor" in job.warnings
    assert any(r.levelno == logging.WARNING and "Falling back on generic" in r.getMessage() for r in caplog.records)

    client = Client()
    client.force_login(user)
    listed = client.get("/api/v1/sounds/").json()["items"]
    assert [item["thumbnail_url"] for item in listed] == [f"/api/v1/files/sounds/{sound.pk}/thumbnail"]
    response = client.get(sound.thumbnail_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # type: ignore[attr-defined]


def test_a_picture_that_is_no_image_leaves_the_sound_without_one(user, local_extraction, media_server):
    (media_server.root / "fake.png").write_text("<html>not a picture</html>" * 50)
    url = _described_page(media_server, "fake-picture.html", picture="fake.png")

    job = services.submit(user=user, url=url)
    services.process(job)
    job.refresh_from_db()

    assert job.status == Status.COMPLETED, job.error
    sound = Sound.objects.get(pk=job.sound_id or 0)
    assert sound.thumbnail == ""
    assert sound.thumbnail_url == ""
    assert not any((local_extraction / "originals" / "extracted" / "thumbnails").glob("*"))


def test_staff_see_the_yt_dlp_version_its_runtime_and_recent_warnings_others_do_not(user, staff):
    Extraction.objects.create(url="https://example.com/v", user=user, warnings="Some formats may be missing")
    staff_client, user_client = Client(), Client()
    staff_client.force_login(staff)
    user_client.force_login(user)

    page = staff_client.get("/extractions/").content.decode()
    assert f"yt-dlp {metadata.version('yt-dlp')}" in page
    assert f"JavaScript runtime: deno {metadata.version('deno')}" in page
    assert "Some formats may be missing" in page
    mine = user_client.get("/extractions/").content.decode()
    assert "yt-dlp 20" not in mine
    assert "Some formats may be missing" not in mine

    status = staff_client.get("/api/v1/admin/extractions/status").json()
    assert status["ytdlp_version"] == metadata.version("yt-dlp")
    assert status["js_ready"] is True
    assert status["recent_warnings"][0]["warnings"] == ["Some formats may be missing"]


def test_the_trim_command_reads_local_files_only_and_cuts_after_decoding(tmp_path):
    cmd = clips.trim_command(tmp_path / "in.mp3", tmp_path / "out.mp3", start=2.0, end=5.5, bitrate="192k")

    assert cmd[0] == "ffmpeg"
    assert cmd[cmd.index("-protocol_whitelist") + 1] == "file"
    assert cmd.index("-protocol_whitelist") < cmd.index("-i") < cmd.index("-ss") < cmd.index(str(tmp_path / "out.mp3"))
    assert cmd[cmd.index("-map") + 1] == "0:a:0"
    assert (cmd[cmd.index("-ss") + 1], cmd[cmd.index("-to") + 1], cmd[cmd.index("-b:a") + 1]) == (
        "2.000", "5.500", "192k",
    )  # fmt: skip


def test_a_huge_picture_becomes_a_small_jpeg_and_garbage_becomes_nothing(tmp_path, settings):
    settings.EXTRACTION_THUMBNAIL_MAX_PX = 320
    big = tmp_path / "thumb.webp"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=3000x4000:d=1", "-frames:v", "1", str(big)],
        check=True,
    )  # fmt: skip
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:1/x.ts\n")
    out = tmp_path / "out"

    assert clips.find_thumbnail(tmp_path) == big
    assert clips.save_thumbnail(big, out, "tall") == "tall.jpg"
    assert _size(out / "tall.jpg") == (240, 320)
    assert clips.save_thumbnail(garbage, out, "bad") == ""
    assert sorted(p.name for p in out.iterdir()) == ["tall.jpg"]  # no half-written file left


def test_a_trimmed_clip_is_cut_by_the_built_command(tmp_path, settings):
    source = media.tone(tmp_path / "media.mp3", 6.0)

    clip = clips.trim(source, 1.0, 3.0)

    assert abs(audio.probe(clip).duration_ms - 2000) < 100


def test_folders_that_would_never_be_served_or_that_the_sweep_would_empty_are_refused_at_start(settings, tmp_path):
    settings.SOUNDS_ROOT = tmp_path / "sounds"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXTRACTION_THUMBNAILS_DIR = tmp_path / "elsewhere"
    settings.EXTRACTION_TEMP_DIR = tmp_path
    assert [e.id for e in checks.extraction_folders()] == ["extraction.E001", "extraction.E002"]

    settings.EXTRACTION_TEMP_DIR = tmp_path / "sounds" / "originals" / "work"
    assert [e.id for e in checks.extraction_folders()] == ["extraction.E001", "extraction.E002"]

    settings.EXTRACTION_THUMBNAILS_DIR = tmp_path / "media" / "pictures"
    settings.EXTRACTION_TEMP_DIR = tmp_path / "work"
    assert checks.extraction_folders() == []
