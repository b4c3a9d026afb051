"""Issue 16, item 4: one empty file in a multi-file upload gets its own answer; the good files go in."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.tests.factories import UserFactory
from live.tests.sockets import connect, receive_until
from sounds.models import Sound
from sounds.tests import media

pytestmark = pytest.mark.django_db


def test_an_empty_file_in_a_batch_is_named_and_the_good_ones_are_added(authed_client, sounds_root, tmp_path):
    good = media.tone(tmp_path / "Good one.wav", 0.5, freq=440)
    files = [
        SimpleUploadedFile("Good one.wav", good.read_bytes(), content_type="audio/wav"),
        SimpleUploadedFile("empty.mp3", b"", content_type="audio/mpeg"),
    ]
    response = authed_client.post("/sounds/upload/", {"audio": files}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Good one.wav" in page
    assert "empty.mp3" in page
    toasts = [t["message"] for t in json.loads(response.headers["HX-Trigger"])["toasts"]]
    assert "empty.mp3: The file is empty." in toasts
    assert list(Sound.objects.values_list("name", flat=True)) == ["Good one"]


def test_a_batch_of_nothing_but_empty_files_is_refused_file_by_file(authed_client, sounds_root):
    files = [SimpleUploadedFile(f"blank{i}.wav", b"", content_type="audio/wav") for i in range(2)]
    response = authed_client.post("/sounds/upload/", {"audio": files}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "blank0.wav" in page
    assert "blank1.wav" in page
    assert not Sound.objects.exists()


def test_no_file_at_all_is_still_a_400(authed_client, sounds_root):
    response = authed_client.post("/sounds/upload/", {}, headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_a_file_that_is_not_audio_is_refused_in_plain_words_without_paths(authed_client, sounds_root):
    junk = SimpleUploadedFile("notes.mp3", b"this is not audio at all " * 40, content_type="audio/mpeg")
    response = authed_client.post("/sounds/upload/", {"audio": [junk]}, headers={"HX-Request": "true"})
    toasts = [t["message"] for t in json.loads(response.headers["HX-Trigger"])["toasts"]]
    assert toasts == ["notes.mp3: That is not an audio file we can play (not a media file we can read)."]
    page = response.content.decode()
    assert str(sounds_root) not in page
    assert "ffprobe" not in page
    assert "Invalid data" not in page


def test_the_length_limit_is_worded_alike_in_the_help_and_the_error(authed_client, settings):
    from sounds.uploads import duration_words  # noqa: PLC0415  (the unit under test, next to its checks)

    assert duration_words(600) == "10 minutes"
    assert duration_words(90) == "1 minute 30 seconds"
    assert duration_words(1) == "1 second"
    page = authed_client.get("/sounds/upload/").content.decode()
    assert "10 minutes each" in page


def test_a_file_over_the_size_limit_in_a_batch_is_named_and_the_others_still_go_in(
    authed_client, sounds_root, tmp_path, settings
):
    settings.SOUNDS_MAX_UPLOAD_MB = 1
    # A spool folder of its own: other test processes (and their uploads) share var/tmp.
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "spool"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    before = set(settings.FILE_UPLOAD_TEMP_DIR.iterdir())
    first = media.tone(tmp_path / "First.wav", 0.5, freq=440)
    big = media.noise(tmp_path / "big.wav", 15)  # ~1.3 MB of PCM
    last = media.tone(tmp_path / "Last.wav", 0.5, freq=660)
    files = [
        SimpleUploadedFile("First.wav", first.read_bytes(), content_type="audio/wav"),
        SimpleUploadedFile("big.wav", big.read_bytes(), content_type="audio/wav"),
        SimpleUploadedFile("Last.wav", last.read_bytes(), content_type="audio/wav"),  # after the big one
    ]
    response = authed_client.post("/sounds/upload/", {"audio": files}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    results = response.content.decode()
    assert "<strong>big.wav</strong>: The file is larger than 1 MB." in results
    assert "added as “First”" in results
    assert "added as “Last”" in results
    toasts = [t["message"] for t in json.loads(response.headers["HX-Trigger"])["toasts"]]
    assert "big.wav: The file is larger than 1 MB." in toasts
    assert sorted(Sound.objects.values_list("name", flat=True)) == ["First", "Last"]
    assert set(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == before  # nothing of the big file is left in var/tmp


def test_a_batch_of_only_files_over_the_limit_names_each_and_adds_nothing(
    authed_client, sounds_root, tmp_path, settings
):
    settings.SOUNDS_MAX_UPLOAD_MB = 1
    big = media.noise(tmp_path / "big.wav", 15).read_bytes()
    files = [SimpleUploadedFile(f"big{i}.wav", big, content_type="audio/wav") for i in range(2)]
    response = authed_client.post("/sounds/upload/", {"audio": files}, headers={"HX-Request": "true"})
    assert response.status_code == 200  # a batch: each file has its own answer
    page = response.content.decode()
    assert "<strong>big0.wav</strong>: The file is larger than 1 MB." in page
    assert "<strong>big1.wav</strong>: The file is larger than 1 MB." in page
    assert not Sound.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_a_batch_tells_every_open_board_once(sounds_root, tmp_path):
    user = await sync_to_async(UserFactory.create)()
    watcher = await sync_to_async(UserFactory.create)()
    client = Client()
    await sync_to_async(client.force_login)(user)
    ws, _ = await connect(watcher)
    files = [
        SimpleUploadedFile(f"Tone {i}.wav", media.tone(tmp_path / f"t{i}.wav", 0.3, freq=500 + 60 * i).read_bytes())
        for i in range(3)
    ]
    response = await sync_to_async(client.post)("/sounds/upload/", {"audio": files}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Trigger-After-Settle" not in response.headers  # the live event refreshes this board too
    await receive_until(ws, 'data-trigger="library:refresh"', timeout=10)
    # One refresh for the batch, not one per file. Other frames (presence, rooms) may come and are not counted.
    more = []
    while not await ws.receive_nothing(timeout=1):
        more.append((await ws.receive_output())["text"])
    assert not [frame for frame in more if "library:refresh" in frame], more
    await ws.disconnect()
