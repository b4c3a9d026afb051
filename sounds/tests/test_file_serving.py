"""How files go out: headers on every answer, hostile Range headers, chunked streaming under ASGI."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from sounds import files
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db

SAFE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"}


@pytest.fixture
def sound(sdb):
    media.noise(sdb / "hiss.wav", 3)  # ~260 kB: several chunks
    scan()
    return Sound.objects.get()


def test_download_is_an_attachment_and_preview_is_inline_both_with_the_safe_headers(authed_client, sound):
    download = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download")
    preview = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/preview")
    assert download["Content-Disposition"].startswith("attachment;")
    assert preview["Content-Disposition"].startswith("inline;")
    for response in (download, preview):
        assert response.status_code == 200
        assert response["Content-Type"] == "audio/wav"
        assert {k: response[k] for k in SAFE} == SAFE


def test_a_thumbnail_is_an_image_type_from_the_allowlist_and_never_svg(authed_client, sound, sounds_root):
    thumbs = sounds_root / "originals" / "extracted" / "thumbnails"
    thumbs.mkdir(parents=True)
    (thumbs / "t.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    Sound.objects.filter(pk=sound.pk).update(thumbnail="t.svg")
    response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/thumbnail")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert {k: response[k] for k in SAFE} == SAFE


@pytest.mark.parametrize(
    "header",
    [
        "bytes=99999999999999999999999999-",
        "bytes=" + "9" * 5000 + "-",  # int() of this is a ValueError in Python: was a 500
        "bytes=-" + "9" * 5000,
        "bytes=--5",
        "bytes=-5-10",
        "bytes=500-100",
        "bytes=0-1,3-4",
        "bytes=" + ",".join(f"{i}-{i}" for i in range(200)),
        "bytes=-0",
        "bytes=-",
    ],
)
def test_absurd_ranges_are_416_never_500(authed_client, sound, header):
    response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download", HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{sound.original_path.stat().st_size}"
    assert {k: response[k] for k in SAFE} == SAFE


def test_a_range_past_the_end_is_clipped_to_the_file(authed_client, sound):
    size = sound.original_path.stat().st_size
    response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download", HTTP_RANGE="bytes=10-99999999999")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-{size - 1}/{size}"


def test_under_asgi_the_file_goes_out_in_chunks_not_in_one_piece(authed_client, sound):
    """Drive Django's own ASGI handler (what daphne runs): the body arrives as many bounded messages."""
    cookie = f"sessionid={authed_client.cookies['sessionid'].value}"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": f"/api/v1/files/sounds/{sound.pk}/download", "raw_path": b"", "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 1234), "server": ("localhost", 80),
    }  # fmt: skip
    sent: list[dict] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected; Django cancels this when it is done
        return {"type": "http.disconnect"}

    original = sound.original_path.read_bytes()
    tail = b"Z" * files.CHUNK

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and len(sent) == 2:
            # After the first chunk went out, the end of the file changes on disk: a server that streams reads
            # it only now and sends the new bytes; one that read the whole file first sends the old ones.
            with sound.original_path.open("r+b") as fh:
                fh.seek(len(original) - len(tail))
                fh.write(tail)

    # As Django's own test clients do: the request signals must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(ASGIHandler())(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert sent[0]["status"] == 200
    bodies = [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]
    body = b"".join(bodies)
    assert len(body) == len(original)
    assert body == original[: -len(tail)] + tail
    assert len(bodies) >= 4
    assert max(len(b) for b in bodies) <= files.CHUNK


def test_the_reverse_proxy_can_send_the_file(authed_client, sound, settings):
    settings.SOUNDS_FILE_SERVING = "x-accel-redirect"
    response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download")
    assert response["X-Accel-Redirect"] == "/internal-sounds/originals/soundboard/hiss.wav"
    assert response.content == b""
    assert {k: response[k] for k in SAFE} == SAFE
    settings.SOUNDS_FILE_SERVING = "x-sendfile"
    response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download")
    assert response["X-Sendfile"] == str(sound.original_path.resolve())


def test_a_name_with_line_breaks_makes_a_clean_header(authed_client, sound):
    Sound.objects.filter(pk=sound.pk).update(name="evil\r\nSet-Cookie: a=b")
    response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download")
    assert response.status_code == 200
    assert "\n" not in response["Content-Disposition"]
    assert "Set-Cookie" not in response.headers


def test_a_file_carries_validators_and_a_current_copy_gets_a_304_with_the_safe_headers(authed_client, sound):
    url = f"/api/v1/files/sounds/{sound.pk}/preview"
    first = authed_client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Accept-Ranges"] == "bytes"
    assert first["Content-Length"] == str(sound.original_path.stat().st_size)
    for headers in ({"HTTP_IF_NONE_MATCH": etag}, {"HTTP_IF_MODIFIED_SINCE": modified}):
        again = authed_client.get(url, **headers)
        assert again.status_code == 304
        assert again["ETag"] == etag
        assert again.content == b""
        assert {k: again[k] for k in SAFE} == SAFE


def test_a_changed_file_gets_a_new_etag_and_is_sent_again(authed_client, sound):
    url = f"/api/v1/files/sounds/{sound.pk}/download"
    etag = authed_client.get(url)["ETag"]
    media.tone(sound.original_path, 2)
    response = authed_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert b"".join(response.streaming_content) == sound.original_path.read_bytes()


def test_if_range_serves_the_range_of_the_same_file_and_the_whole_of_a_changed_one(authed_client, sound):
    url = f"/api/v1/files/sounds/{sound.pk}/preview"
    first = authed_client.get(url)
    original = sound.original_path.read_bytes()
    same = authed_client.get(url, HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE=first["ETag"])
    assert same.status_code == 206
    assert b"".join(same.streaming_content) == original[100:200]
    by_date = authed_client.get(url, HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE=first["Last-Modified"])
    assert by_date.status_code == 206
    stale = authed_client.get(url, HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE='"an-older-copy"')
    assert stale.status_code == 200
    assert b"".join(stale.streaming_content) == original


def test_a_failed_precondition_is_a_412_and_sends_nothing(authed_client, sound):
    response = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download", HTTP_IF_MATCH='"another-file"')
    assert response.status_code == 412
    assert response.content == b""
    assert {k: response[k] for k in SAFE} == SAFE


def test_a_validator_leaks_nothing_about_a_sound_one_may_not_see(client, authed_client, sound):
    """Conditional headers are judged after the access check: a stranger gets no 304 to probe with."""
    etag = authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download")["ETag"]
    assert client.get(f"/api/v1/files/sounds/{sound.pk}/download", HTTP_IF_NONE_MATCH=etag).status_code == 401
    assert authed_client.get("/api/v1/files/sounds/999999/download", HTTP_IF_NONE_MATCH="*").status_code == 404
