"""Instant play through the real player process (libvlc rendering to WAV files), over HTTP and the API."""

from __future__ import annotations

import os
import signal
import time
import wave

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import ApiToken, User
from accounts.tests.factories import UserFactory
from conftest import start_player
from credits.models import CreditAction, CreditTransaction
from live.tests.sockets import connect, receive_until
from player import client
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def horn(sdb) -> Sound:
    media.tone(sdb / "horn.wav", 1.0, freq=500, gain_db=-3)
    scan()
    return Sound.objects.get(filename="horn.wav")


def balance(user: User) -> int:
    user.refresh_from_db()
    return user.credits


def wav_seconds(path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def csrf_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")  # sets the CSRF cookie
    return client


async def test_a_click_plays_on_the_speakers_charges_one_credit_and_tells_everyone(player_process, horn):
    user = await sync_to_async(UserFactory.create)(name="Ann")
    watcher = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(watcher)
    client = await sync_to_async(csrf_client)(user)
    token = client.cookies["csrftoken"].value
    before = len(player_process.wavs())
    response = await sync_to_async(client.post)(
        f"/player/play/{horn.pk}/", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 204
    assert "Playing “Horn” · 24 credits left" in response["HX-Trigger"].encode().decode("unicode_escape")
    # Another user's page hears of it: who played what, and the new count.
    frame = await receive_until(ws, 'id="recent-plays"')
    assert "<strong>Ann</strong> played" in frame
    assert f'id="sound-{horn.pk}-plays" hx-swap-oob="true">1<' in frame
    await receive_until(ws, "data-ended=", timeout=10)
    wavs = player_process.wavs()
    assert len(wavs) == before + 1
    assert abs(wav_seconds(wavs[-1]) - 1.0) < 0.1
    assert await sync_to_async(balance)(user) == 24
    played = await SoundPlayed.objects.aget(sound=horn)
    assert (played.user_id, played.source) == (user.pk, "board")
    await horn.arefresh_from_db()
    assert horn.play_count == 1
    await ws.disconnect()


async def test_the_api_plays_with_a_token_and_answers_the_balance(player_process, horn):
    user = await sync_to_async(UserFactory.create)()
    _, raw = await sync_to_async(ApiToken.issue)(user=user, name="deck")
    ws, _ = await connect(user)
    response = await sync_to_async(Client().post)(
        f"/api/v1/sounds/play/{horn.pk}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["credits"] == 24
    assert body["sound_id"] == horn.pk
    await receive_until(ws, 'id="recent-plays"')  # recorded once it played
    played = await SoundPlayed.objects.aget(sound=horn)
    assert played.source == "api"
    await ws.disconnect()


def test_no_credits_is_402_and_nothing_plays(player_process, horn, user):
    User.objects.filter(pk=user.pk).update(credits=0)
    before = len(player_process.wavs())
    client = Client()
    client.force_login(user)
    response = client.post(f"/api/v1/sounds/play/{horn.pk}")
    assert response.status_code == 402
    assert "costs 1, you have 0" in response.json()["detail"]
    assert balance(user) == 0
    assert len(player_process.wavs()) == before
    assert not SoundPlayed.objects.exists()


def test_bad_requests_charge_nothing(player_process, horn, user, authed_client):
    assert authed_client.post("/api/v1/sounds/play/424242").status_code == 404
    assert authed_client.post("/api/v1/sounds/play/abc").status_code in (400, 404)
    assert authed_client.get(f"/api/v1/sounds/play/{horn.pk}").status_code == 405
    assert authed_client.get(f"/player/play/{horn.pk}/").status_code == 405
    assert authed_client.post("/player/play/abc/").status_code == 404
    no_csrf = Client(enforce_csrf_checks=True)
    no_csrf.force_login(user)
    assert no_csrf.post(f"/player/play/{horn.pk}/").status_code == 403
    assert no_csrf.post(f"/api/v1/sounds/play/{horn.pk}").status_code == 403
    assert balance(user) == 25
    assert not CreditTransaction.objects.filter(action=CreditAction.VLC_PLAY_SOUND).exists()


def test_a_disabled_users_token_cannot_play(player_process, horn, user):
    _, raw = ApiToken.issue(user=user, name="deck")
    user.is_active = False
    user.save()
    response = Client().post(f"/api/v1/sounds/play/{horn.pk}", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_a_file_that_vanished_before_the_click_is_404_uncharged(player_process, horn, user, authed_client):
    horn.original_path.unlink()
    response = authed_client.post(f"/api/v1/sounds/play/{horn.pk}")
    assert response.status_code == 404
    assert "missing" in response.json()["detail"]
    assert balance(user) == 25


def test_a_play_that_fails_to_start_is_refunded(player_process, sdb, user, authed_client):
    media.tone(sdb / "fine.wav", 0.5)
    scan()
    sound = Sound.objects.get()
    # The file turns to garbage after the library knew it: libvlc cannot play it.
    sound.original_path.write_bytes(b"\x00not audio any more" * 300)
    response = authed_client.post(f"/api/v1/sounds/play/{sound.pk}")
    assert response.status_code == 503
    assert "refunded" in response.json()["detail"]
    assert balance(user) == 25
    refund = CreditTransaction.objects.get(user=user, action=CreditAction.REFUND)
    assert refund.amount == 1
    assert not SoundPlayed.objects.exists()


def test_plays_are_rate_limited(player_process, horn, user, authed_client, settings):
    settings.PLAY_RATE_LIMIT = "2/10s"
    responses = [authed_client.post(f"/api/v1/sounds/play/{horn.pk}") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert 1 <= int(responses[-1]["Retry-After"]) <= 10
    assert balance(user) == 23


async def test_stop_all_cuts_what_is_playing(player_process, sdb):
    await sync_to_async(media.tone)(sdb / "long.wav", 6.0)
    await sync_to_async(scan)()
    sound = await Sound.objects.aget(filename="long.wav")
    user = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)
    assert (await sync_to_async(client.post)(f"/api/v1/sounds/play/{sound.pk}")).status_code == 200
    stop = await sync_to_async(client.post)("/api/v1/sounds/stop")
    assert stop.status_code == 200
    await receive_until(ws, "Every sound was stopped")
    await receive_until(ws, "data-ended=")
    assert wav_seconds(player_process.wavs()[-1]) < 5
    await ws.disconnect()


def test_a_killed_player_is_offline_and_a_restart_brings_it_back(player_process, horn, user, authed_client):

    os.kill(player_process.proc.pid, signal.SIGKILL)
    player_process.proc.wait()
    deadline = time.monotonic() + 10
    while client.is_online():  # the heartbeat expires on its own
        assert time.monotonic() < deadline
        time.sleep(0.1)
    response = authed_client.post(f"/api/v1/sounds/play/{horn.pk}")
    assert response.status_code == 503
    assert "offline" in response.json()["detail"]
    assert balance(user) == 25
    player_process.proc = start_player(player_process.output_dir, player_process.log_path, player_process.sounds_root)
    assert authed_client.post(f"/api/v1/sounds/play/{horn.pk}").status_code == 200
    assert balance(user) == 24
    # The new player records the play right after answering: wait for it, so the test ends with the player idle
    # (on PostgreSQL the teardown's TRUNCATE deadlocked with that write).
    deadline = time.monotonic() + 10
    while not SoundPlayed.objects.filter(sound=horn).exists():
        assert time.monotonic() < deadline, "the restarted player never recorded the play"
        time.sleep(0.05)


def test_a_timed_play_answers_the_stages_of_the_click_in_server_timing(player_process, horn, user, settings):
    settings.SERVER_TIMING = True
    _, raw = ApiToken.issue(user=user, name="deck")
    response = Client().post(f"/api/v1/sounds/play/{horn.pk}", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    parts = [part.strip() for part in response["Server-Timing"].split(",")]
    names = [part.split(";")[0] for part in parts]
    # The web's stages in the order they happen, then the daemon's (carried back in its answer), then the answer.
    web = ["auth", "lookup", "quiet", "ratelimit", "online", "cooldown", "debit", "send"]
    player = ["player_receive", "player_open", "player_first_samples"]
    assert [n for n in names if n in web] == web
    assert [n for n in names if n in player] == player
    # The daemon may read the command before the send returns (the channel layer's last step is an EXPIRE).
    assert names.index("debit") < names.index("player_receive") < names.index("answer")
    assert "respond" in names
    assert names[-1] == "clock"
    durations = [float(part.split("dur=")[1]) for part in parts if "dur=" in part]
    assert all(d >= 0 for d in durations)
    assert 0 < sum(durations) < 3000  # one clock: the player's stamps line up with the web's
