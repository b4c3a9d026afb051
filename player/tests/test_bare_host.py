"""The daemon runs on a bare audio host: DEBUG off, no collected static files, and no template ever rendered.

Its own module: the daemon started here must be the only one reading the player channel.
"""

from __future__ import annotations

import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import stop_player, subprocess_env
from live.tests.sockets import connect, receive_until
from player.client import is_online
from playlists import services as playlists
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]

# `run_player` with the template engine booby-trapped: any render (an HTML event, a {% static %}) raises.
BARE_PLAYER = """
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soundboard.settings")
django.setup()
from django.template.backends.django import DjangoTemplates

def refuse(*args, **kwargs):
    raise RuntimeError("the player daemon tried to use a template")

DjangoTemplates.get_template = refuse
DjangoTemplates.from_string = refuse
from django.core.management import call_command
call_command("run_player", output=sys.argv[1])
"""


@pytest.fixture
def bare_player(django_db_setup: None, tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    out, log_path, root = tmp_path / "out", tmp_path / "player.log", tmp_path / "sounds"
    var = tmp_path / "var"  # an empty VAR_DIR: no staticfiles/ manifest in it
    out.mkdir()
    env = subprocess_env(
        TESTING="false",
        DEBUG="false",
        VAR_DIR=str(var),
        REDIS_URL=django_settings.REDIS_URL,  # not under test any more: the plain setting names the database
        SOUNDS_ROOT=str(root),
        SECRET_KEY="bare-host-" + "x" * 50,
    )
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", BARE_PLAYER, f"file:{out}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while not is_online():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The bare player did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        assert not (var / "staticfiles").exists()
        yield out, log_path, root
    finally:
        stop_player(proc)


async def test_run_player_without_debug_static_files_or_templates_plays_and_publishes(bare_player, settings):
    out, log_path, root = bare_player
    settings.SOUNDS_ROOT = root
    folder = root / "originals" / "soundboard"
    await sync_to_async(folder.mkdir)(parents=True)
    await sync_to_async(media.tone)(folder / "horn.wav", 1.0, freq=500, gain_db=-3)
    await sync_to_async(scan)()
    horn = await Sound.objects.aget(filename="horn.wav")
    user = await sync_to_async(UserFactory.create)(name="Ann")
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)

    played = await sync_to_async(client.post)(f"/api/v1/sounds/play/{horn.pk}")
    assert played.status_code == 200, played.content
    # What the daemon publishes reaches the page, rendered on the web side.
    frame = await receive_until(ws, 'id="recent-plays"')
    assert "<strong>Ann</strong> played" in frame
    await receive_until(ws, "data-ended=", timeout=10)
    (wav,) = out.glob("*-Horn.wav")
    with wave.open(str(wav)) as rendered:
        assert abs(rendered.getnframes() / rendered.getframerate() - 1.0) < 0.1
    assert await SoundPlayed.objects.filter(sound=horn, user=user).aexists()

    # The music player too: its state reaches every page.
    playlist = await sync_to_async(playlists.create_playlist)(owner=user, name="Bare")
    await sync_to_async(playlists.add_sound)(playlist=playlist, sound_id=horn.pk)
    body = {"playlist_id": playlist.pk, "play": True}
    music = await sync_to_async(client.post)("/api/v1/player/playlist", body, content_type="application/json")
    assert music.status_code == 200, music.content
    await receive_until(ws, 'data-testid="player-track">Horn<', timeout=10)
    await ws.disconnect()
    log = log_path.read_text()
    assert "Traceback" not in log
    assert "template" not in log
