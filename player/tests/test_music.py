"""The shared music player for real: the player process renders every track to a WAV file."""

from __future__ import annotations

import audioop
import json
import wave

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import start_player, stop_player
from credits.models import CreditAction, CreditTransaction
from live.tests.sockets import connect, connect_events, receive_until
from playlists import services as playlists
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)


def make_playlist(owner: User, sdb, specs: list[tuple[str, float, int]]):
    for name, seconds, freq in specs:
        media.tone(sdb / f"{name}.wav", seconds, freq=freq, gain_db=-3)
    scan()
    playlist = playlists.create_playlist(owner=owner, name="Test mix")
    for name, _, _ in specs:
        playlists.add_sound(playlist=playlist, sound_id=Sound.objects.get(filename=f"{name}.wav").pk)
    return playlist


def api(client: Client, path: str, payload: dict | None = None):
    return client.post(f"/api/v1/player/{path}", payload or {}, content_type="application/json")


def music_wavs(player_process, name: str):
    return sorted(
        (p for p in player_process.wavs() if p.name.endswith(f"-{name}.wav")), key=lambda p: p.stat().st_mtime
    )


def rms_windows(path, window_s: float = 0.1) -> list[int]:
    with wave.open(str(path)) as w:
        step = int(w.getframerate() * window_s)
        out = []
        while frames := w.readframes(step):
            out.append(audioop.rms(frames, w.getsampwidth()))
        return out


async def test_continuous_mode_plays_three_tracks_in_order_then_stops(player_process, sdb):
    user = await sync_to_async(UserFactory.create)()
    playlist = await sync_to_async(make_playlist)(
        user, sdb, [("one", 0.6, 300), ("two", 0.6, 500), ("three", 0.6, 700)]
    )
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)
    await sync_to_async(api)(client, "mode", {"mode": "continuous"})  # the player is shared: set what we test
    response = await sync_to_async(api)(client, "playlist", {"playlist_id": playlist.pk, "play": True})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "playing"
    await receive_until(ws, 'data-testid="player-track">Three<', timeout=15)
    await receive_until(ws, 'data-status="stopped"', timeout=15)
    wavs = [w for w in player_process.wavs() if w.name.split("-")[-1] in {"One.wav", "Two.wav", "Three.wav"}]
    order = [w.name.rsplit("-", 1)[-1] for w in sorted(wavs, key=lambda p: p.stat().st_mtime)][-3:]
    assert order == ["One.wav", "Two.wav", "Three.wav"]
    # Auto-advance is free: only the start was charged.
    assert await CreditTransaction.objects.filter(user=user, action=CreditAction.PLAYER_PLAY).acount() == 1
    assert await SoundPlayed.objects.filter(source="player").acount() == 3
    await ws.disconnect()


async def test_loop_one_repeats_the_track(player_process, sdb):
    user = await sync_to_async(UserFactory.create)()
    playlist = await sync_to_async(make_playlist)(user, sdb, [("again", 0.5, 440)])
    # The page's feed leaves out the music player's tracks; the JSON events carry every start.
    ws, connected, _ = await connect_events(user=user)
    assert connected
    client = Client()
    await sync_to_async(client.force_login)(user)
    await sync_to_async(api)(client, "playlist", {"playlist_id": playlist.pk})
    assert (await sync_to_async(api)(client, "mode", {"mode": "loop_one"})).json()["mode"] == "loop_one"
    assert (await sync_to_async(api)(client, "play")).status_code == 200
    for _ in range(2):
        while True:
            event = json.loads(await receive_until(ws, '"sound_played"', timeout=10))
            if event["event"] == "sound_played" and event["data"]["sound"]["name"] == "Again":
                break
    assert (await sync_to_async(api)(client, "stop")).json()["status"] == "stopped"
    assert len(music_wavs(player_process, "Again")) >= 2
    await ws.disconnect()


async def test_the_music_ducks_while_a_clip_plays(player_process, sdb, settings):
    user = await sync_to_async(UserFactory.create)()
    playlist = await sync_to_async(make_playlist)(user, sdb, [("bed", 4.0, 330)])
    await sync_to_async(media.tone)(sdb / "clip.wav", 1.0, freq=1000)
    await sync_to_async(scan)()
    clip = await Sound.objects.aget(filename="clip.wav")
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)
    await sync_to_async(api)(client, "playlist", {"playlist_id": playlist.pk})
    await sync_to_async(api)(client, "mode", {"mode": "single"})
    await sync_to_async(api)(client, "volume", {"volume": 100})
    await sync_to_async(api)(client, "play")
    await receive_until(ws, 'data-testid="player-position">1.', timeout=10)  # a second of music first
    assert (await sync_to_async(client.post)(f"/api/v1/sounds/play/{clip.pk}")).status_code == 200
    await receive_until(ws, "· quieter while a sound plays", timeout=5)
    await receive_until(ws, 'data-status="stopped"', timeout=15)
    levels = rms_windows(music_wavs(player_process, "Bed")[-1])[1:-1]
    loud, quiet = max(levels), min(levels)
    # 12 dB of ducking is a factor of 0.25 in amplitude; and the music came back afterwards.
    assert 0.18 < quiet / loud < 0.35, (quiet, loud)
    assert levels[-3] > 0.9 * loud
    await ws.disconnect()


async def test_the_bar_shows_every_second_of_a_playing_track(player_process, sdb):
    user = await sync_to_async(UserFactory.create)()
    playlist = await sync_to_async(make_playlist)(user, sdb, [("seconds", 4.5, 440)])
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)
    await sync_to_async(api)(client, "mode", {"mode": "single"})
    await sync_to_async(api)(client, "playlist", {"playlist_id": playlist.pk, "play": True})
    await receive_until(ws, 'data-status="playing"', timeout=10)
    seen: set[int] = set()
    while True:
        frame = await receive_until(ws, 'data-testid="player-position">', timeout=10)
        shown = frame.split('data-testid="player-position">', 1)[1].split("<", 1)[0]
        seen.add(int(float(shown.removesuffix(" s"))))
        if 'data-status="stopped"' in frame:
            break
    # Each whole second of playback reached the browser, however the polls fell against the playback clock.
    assert {1, 2, 3} <= seen, seen
    await ws.disconnect()


def test_bad_commands_are_refused_with_reasons(player_process, sdb, user):
    full = make_playlist(user, sdb, [("x", 0.4, 400)])
    client = Client()
    client.force_login(user)
    empty = playlists.create_playlist(owner=user, name="Empty")
    assert api(client, "playlist", {"playlist_id": empty.pk}).status_code == 200
    refused = api(client, "play")
    assert refused.status_code == 400
    assert "empty" in refused.json()["detail"].lower()
    user.refresh_from_db()
    assert user.credits == 25  # refunded
    cases: list[tuple[str, dict[str, object], str]] = [
        ("volume", {"volume": 101}, "between 0 and 100"),
        ("volume", {"volume": -1}, "between 0 and 100"),
        ("mode", {"mode": "shuffle"}, "mode"),
        ("seek", {"position_ms": -5}, "seek"),
    ]
    for path, payload, words in cases:
        response = api(client, path, payload)
        assert response.status_code == 400, path
        assert words in response.json()["detail"].lower(), (path, response.json())
    assert api(client, "playlist", {"playlist_id": 424242}).status_code == 404
    assert api(client, "playlist", {"playlist_id": full.pk}).status_code == 200
    out_of_range = api(client, "play/7")
    assert out_of_range.status_code == 400
    assert "index" in out_of_range.json()["detail"].lower() or "no track" in out_of_range.json()["detail"].lower()


def test_starting_playback_needs_credits(player_process, sdb, user):
    playlist = make_playlist(user, sdb, [("y", 0.4, 400)])
    User.objects.filter(pk=user.pk).update(credits=0)
    client = Client()
    client.force_login(user)
    api(client, "playlist", {"playlist_id": playlist.pk})
    response = api(client, "play")
    assert response.status_code == 402
    assert api(client, "volume", {"volume": 50}).status_code == 200  # free


def test_the_state_api_reports_the_shared_state(player_process, sdb, user):
    playlist = make_playlist(user, sdb, [("z", 0.4, 400)])
    client = Client()
    client.force_login(user)
    api(client, "playlist", {"playlist_id": playlist.pk})
    state = client.get("/api/v1/player/state").json()
    assert state["online"] is True
    assert state["playlist_id"] == playlist.pk
    assert [t["name"] for t in state["tracks"]] == ["Z"]
    assert "path" not in state["tracks"][0]  # server paths stay on the server


async def test_a_track_whose_file_vanished_is_skipped_with_a_warning(player_process, sdb):
    user = await sync_to_async(UserFactory.create)()
    playlist = await sync_to_async(make_playlist)(user, sdb, [("gone", 0.5, 300), ("here", 0.5, 600)])
    (sdb / "gone.wav").unlink()
    ws, _ = await connect(user)
    client = Client()
    await sync_to_async(client.force_login)(user)
    await sync_to_async(api)(client, "mode", {"mode": "continuous"})
    await sync_to_async(api)(client, "playlist", {"playlist_id": playlist.pk, "play": True})
    await receive_until(ws, "toast--warning", timeout=10)
    await receive_until(ws, 'data-testid="player-track">Here<', timeout=10)
    await receive_until(ws, 'data-status="stopped"', timeout=10)
    assert music_wavs(player_process, "Here")
    assert not music_wavs(player_process, "Gone")
    await ws.disconnect()


def test_mode_volume_and_playlist_survive_a_restart_of_the_player(player_process, sdb, user):

    playlist = make_playlist(user, sdb, [("keep", 0.4, 400)])
    client = Client()
    client.force_login(user)
    api(client, "playlist", {"playlist_id": playlist.pk})
    api(client, "mode", {"mode": "random"})
    api(client, "volume", {"volume": 33})
    stop_player(player_process.proc)
    player_process.proc = start_player(player_process.output_dir, player_process.log_path, player_process.sounds_root)
    state = client.get("/api/v1/player/state").json()
    assert (state["mode"], state["volume"], state["playlist_id"]) == ("random", 33, playlist.pk)
    assert state["status"] == "stopped"
