"""Rooms (issue 13) with two real player processes, rooms `a` and `b`, each rendering to its own folder."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import PlayerProcess, start_player, stop_player, subprocess_env
from core.redis_client import sync_client
from credits.models import AttemptState, CreditAction, CreditTransaction
from live.tests.sockets import connect_events, receive_event
from player import client as players
from player.models import Room, SavedPlayerState
from player.protocol import claim_key, heartbeat_key, state_key
from player.tasks import watch_rooms
from playlists import services as playlists
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def two_rooms(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PlayerProcess]]:
    workdir = tmp_path_factory.mktemp("rooms")
    root = workdir / "sounds"
    started: dict[str, PlayerProcess] = {}
    try:
        for room in ("a", "b"):
            out, log = workdir / f"out-{room}", workdir / f"player-{room}.log"
            started[room] = PlayerProcess(out, start_player(out, log, root, room), log, root, room)
        yield started
    finally:
        for player in started.values():
            stop_player(player.proc)
        # A stopped player leaves its last published state behind (pages show the last state they knew); these
        # rooms are this module's own, so later tests must not find them.
        sync_client().delete(*(state_key(room) for room in ("a", "b")))


@pytest.fixture
def sdb(two_rooms: dict[str, PlayerProcess], settings: Any) -> Path:
    root = two_rooms["a"].sounds_root
    settings.SOUNDS_ROOT = root
    folder = root / "originals" / "soundboard"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    # Each test ends with a flush of every table; the players' rooms come back with the test's own rows.
    Room.ensure("a")
    Room.ensure("b")
    return folder


def tone(sdb: Path, name: str, seconds: float, freq: int) -> Sound:
    media.tone(sdb / f"{name}.wav", seconds, freq=freq, gain_db=-3)
    scan()
    return Sound.objects.get(filename=f"{name}.wav")


def online_seen() -> list[str]:
    """The rooms the last look of the room watcher found online."""
    return str(sync_client().get(players.ONLINE_ROOMS_KEY) or "").split(",")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def every_wav(rooms: dict[str, PlayerProcess]) -> set[Path]:
    return {p for player in rooms.values() for p in player.output_dir.glob("*.wav")}


def wavs(player: PlayerProcess, label: str, since: set[Path]) -> list[Path]:
    """The WAVs `player` rendered for `label` that were not there before (the folders outlive one test)."""
    return sorted(p for p in player.output_dir.glob(f"*-{label}.wav") if p not in since)


def clips_done(room: str) -> bool:
    beat = players.heartbeat(room)
    return beat is not None and not beat.clips


def balance(user: User) -> int:
    user.refresh_from_db()
    return user.credits


def music(client: Client, room: str, command: str, payload: dict[str, Any] | None = None) -> Any:
    answer = client.post(f"/api/v1/player/{command}?room={room}", payload or {}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def state(client: Client, room: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"/api/v1/player/state?room={room}").json()
    return answer


async def test_a_play_to_a_renders_only_in_as_folder_and_says_where_it_played(two_rooms, sdb):
    horn = await sync_to_async(tone)(sdb, "horn", 0.4, 500)
    since = every_wav(two_rooms)
    user = await sync_to_async(UserFactory.create)()
    ws, accepted, _ = await connect_events(user=user)
    assert accepted
    client = await sync_to_async(signed_in)(user)
    answer = await sync_to_async(client.post)(f"/api/v1/sounds/play/{horn.pk}?room=a")
    assert answer.status_code == 200
    assert answer.json()["rooms"] == ["a"]
    played = await receive_event(ws, "sound_played", timeout=10)
    assert (played["data"]["sound"]["name"], played["data"]["room"]) == ("Horn", "a")
    await ws.disconnect()
    await sync_to_async(wait_for)(lambda: clips_done("a"), "the clip to end in room a")
    assert len(wavs(two_rooms["a"], "Horn", since)) == 1
    assert wavs(two_rooms["b"], "Horn", since) == []
    row = await SoundPlayed.objects.select_related("room").aget(sound=horn)
    assert row.room is not None
    assert row.room.slug == "a"
    # The dashboard's figures for room b don't count it.
    by_room = await sync_to_async(client.get)("/api/v1/dashboard/track-statistics?room=b")
    assert by_room.json()["total_plays"] == 0


def test_music_in_a_and_b_runs_independently(two_rooms, sdb):
    user = UserFactory.create()
    client = signed_in(user)
    low, high = tone(sdb, "low", 6.0, 300), tone(sdb, "high", 6.0, 900)
    first, second = (
        playlists.create_playlist(owner=user, name="A mix"),
        playlists.create_playlist(owner=user, name="B mix"),
    )
    playlists.add_sound(playlist=first, sound_id=low.pk)
    playlists.add_sound(playlist=second, sound_id=high.pk)
    since = every_wav(two_rooms)
    try:
        music(client, "a", "volume", {"volume": 30})
        music(client, "a", "playlist", {"playlist_id": first.pk, "play": True})
        music(client, "b", "playlist", {"playlist_id": second.pk, "play": True})
        a, b = state(client, "a"), state(client, "b")
        assert (a["room"], a["status"], a["current_track"]["name"], a["volume"]) == ("a", "playing", "Low", 30)
        assert (b["room"], b["status"], b["current_track"]["name"]) == ("b", "playing", "High")
        assert b["volume"] != 30
        # Each room has its own up-next queue.
        queued = client.post("/api/v1/player/queue?room=a", {"sound_id": high.pk}, content_type="application/json")
        assert queued.status_code == 201
        assert [i["name"] for i in queued.json()["items"]] == ["High"]
        assert client.get("/api/v1/player/queue?room=b").json()["items"] == []
        assert (state(client, "a")["queue_length"], state(client, "b")["queue_length"]) == (1, 0)
        music(client, "a", "pause")
        assert state(client, "a")["status"] == "paused"
        assert state(client, "b")["status"] == "playing"
        # The rooms list says what each room plays.
        listed = {r["slug"]: r for r in client.get("/api/v1/rooms").json()}
        assert listed["a"]["music"]["status"] == "paused"
        assert listed["b"]["music"]["current_track"]["name"] == "High"
        assert listed["a"]["online"]
        assert listed["b"]["online"]
        assert not listed["main"]["online"]
        assert listed["a"]["last_heartbeat"] is not None
    finally:
        music(client, "a", "stop")
        music(client, "b", "stop")
    assert wavs(two_rooms["a"], "Low", since)
    assert not wavs(two_rooms["a"], "High", since)
    assert wavs(two_rooms["b"], "High", since)
    assert not wavs(two_rooms["b"], "Low", since)
    assert balance(user) == 25 - 3  # one start in each room, one add to a's queue


def test_killing_b_leaves_a_playing_b_refuses_for_free_and_b_serves_again_after_a_restart(two_rooms, sdb):
    user = UserFactory.create()
    client = signed_in(user)
    long, horn = tone(sdb, "long", 8.0, 400), tone(sdb, "horn", 0.3, 500)
    playlist = playlists.create_playlist(owner=user, name="Long")
    playlists.add_sound(playlist=playlist, sound_id=long.pk)
    b = two_rooms["b"]
    since = every_wav(two_rooms)
    try:
        music(client, "a", "playlist", {"playlist_id": playlist.pk, "play": True})
        watch_rooms()  # the beat's look before the kill (whatever it finds)
        os.kill(b.proc.pid, signal.SIGKILL)
        b.proc.wait()
        wait_for(lambda: players.heartbeat("b") is None, "b's heartbeat to expire")
        # The killed player said nothing; the beat's next look tells the pages, once.
        assert watch_rooms() is True
        assert "b" not in online_seen()
        assert "a" in online_seen()
        assert watch_rooms() is False
        before = balance(user)
        refused = client.post(f"/api/v1/sounds/play/{horn.pk}?room=b")
        assert refused.status_code == 503
        assert refused.json()["detail"] == (
            "The player of room “b” is offline, so nothing was played and nothing was charged."
        )
        assert client.post("/api/v1/player/play?room=b").status_code == 503
        assert balance(user) == before
        # Room a never noticed.
        assert state(client, "a")["status"] == "playing"
        assert client.post(f"/api/v1/sounds/play/{horn.pk}?room=a").status_code == 200
        assert balance(user) == before - 1
        # A killed player's claim expires with its heartbeat: then b starts again and serves. With no saved state
        # its music starts at the room's default volume. (b is dead, so nothing writes its row now; the previous
        # test's b may have saved its state just after that test's flush, so the row goes here.)
        wait_for(lambda: not sync_client().exists(claim_key("b")), "b's claim to expire")
        SavedPlayerState.objects.filter(room__slug="b").delete()
        Room.objects.filter(slug="b").update(default_volume=35)
        b.restart()
        assert state(client, "b")["volume"] == 35
        assert watch_rooms() is True
        assert "b" in online_seen()
        assert client.post(f"/api/v1/sounds/play/{horn.pk}?room=b").status_code == 200
        assert balance(user) == before - 2
        wait_for(lambda: clips_done("b"), "the clip to end in room b")
        assert len(wavs(b, "Horn", since)) == 1
    finally:
        music(client, "a", "stop")


def test_a_second_player_for_a_room_refuses_while_the_first_runs(two_rooms, sdb):
    first = players.heartbeat("a")
    assert first is not None
    done = subprocess.run(
        [sys.executable, "manage.py", "run_player", "--room", "a", "--output", "none"],
        cwd=ROOT,
        env=subprocess_env(SOUNDS_ROOT=str(two_rooms["a"].sounds_root)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"Room “a” already has a player (pid {first.pid} on {first.host})." in done.stderr
    beat = players.heartbeat("a")
    assert beat is not None
    assert beat.pid == first.pid


def test_a_player_restarted_at_once_after_a_kill_takes_its_room_back(two_rooms, sdb):
    # What a supervisor does (systemd, `make run`): the killed player's claim still holds the room, and without
    # the take-over the new player would refuse until the claim expired, then stay down until the next restart.
    b = two_rooms["b"]
    os.kill(b.proc.pid, signal.SIGKILL)
    b.proc.wait()
    dead = b.proc.pid
    assert sync_client().expire(claim_key("b"), 600)  # the dead player's claim lingers (however slow this box)
    b.restart()
    beat = players.heartbeat("b")
    assert beat is not None
    assert beat.pid == b.proc.pid != dead
    assert f"Took room b over from a player that died ({os.uname().nodename}:{dead}:" in b.log_path.read_text()


def test_a_staff_announcement_plays_in_every_online_room_and_is_charged_once(two_rooms, sdb):
    horn = tone(sdb, "horn", 0.3, 500)
    since = every_wav(two_rooms)
    staff = UserFactory.create(is_staff=True)
    answer = signed_in(staff).post(f"/api/v1/sounds/play/{horn.pk}?room=*")
    assert answer.status_code == 200
    assert answer.json()["rooms"] == ["a", "b"]  # main has no player here
    assert answer.json()["credits"] == 24
    wait_for(lambda: SoundPlayed.objects.count() == 2, "both rooms to record the play")
    assert sorted(SoundPlayed.objects.values_list("room__slug", flat=True)) == ["a", "b"]
    debits = CreditTransaction.objects.filter(user=staff, amount__lt=0)
    assert [(tx.action, tx.attempt) for tx in debits] == [(CreditAction.VLC_PLAY_SOUND, AttemptState.PLAYED)]
    assert not CreditTransaction.objects.filter(user=staff, action=CreditAction.REFUND).exists()
    assert balance(staff) == 24
    for room in ("a", "b"):
        wait_for(functools.partial(clips_done, room), f"the clip to end in room {room}")
        assert len(wavs(two_rooms[room], "Horn", since)) == 1


def test_the_admin_refuses_to_delete_a_room_whose_player_runs_and_a_deleted_room_comes_back(two_rooms, sdb):
    admin = User.objects.create_superuser("admin@example.com", "a long enough password")
    room = Room.objects.get(slug="b")
    answer = signed_in(admin).post(f"/admin/player/room/{room.pk}/delete/", {"post": "yes"}, follow=True)
    assert "The player of room “b” is running: stop it first" in answer.content.decode()
    assert Room.objects.filter(slug="b").exists()
    # Deleted anyway (a shell, or a race with the admin's check): the running player puts its room back.
    Room.objects.filter(slug="b").delete()
    wait_for(lambda: Room.objects.filter(slug="b").exists(), "the player to restore its room")
    horn = tone(sdb, "horn", 0.3, 500)
    assert signed_in(UserFactory.create()).post(f"/api/v1/sounds/play/{horn.pk}?room=b").status_code == 200
    assert "Room b was deleted while its player ran: it is back" in two_rooms["b"].log_path.read_text()


def test_health_and_metrics_report_each_rooms_player(two_rooms, sdb, settings):
    settings.METRICS_TOKEN = "metrics-token"
    report = Client().get("/health/?format=json").json()
    assert (report["Player(room='a')"], report["Player(room='b')"]) == ("OK", "OK")
    assert "No heartbeat" in report["Player(room='main')"]
    scraped = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token").content.decode()
    assert 'soundboard_player_up{room="a"} 1.0' in scraped
    assert 'soundboard_player_up{room="b"} 1.0' in scraped
    assert 'soundboard_player_up{room="main"} 0.0' in scraped


def test_a_player_that_lost_its_claim_stops_so_the_room_has_one_player(two_rooms, sdb):
    b = two_rooms["b"]
    os.kill(b.proc.pid, signal.SIGSTOP)  # stalled past its claim's TTL
    try:
        wait_for(lambda: not sync_client().exists(claim_key("b")), "the stalled player's claim to expire")
        successor = start_player(b.output_dir, b.log_path.with_name("player-b2.log"), b.sounds_root, "b")
    finally:
        os.kill(b.proc.pid, signal.SIGCONT)
    stalled, b.proc = b.proc, successor
    assert stalled.wait(timeout=30) == 1
    assert "Room “b” was taken over by another player" in b.log_path.read_text()
    beat = players.heartbeat("b")
    assert beat is not None
    assert beat.pid == successor.pid
    assert sync_client().exists(heartbeat_key("b"))


def test_an_announcement_a_stalled_room_misses_is_charged_once_and_the_stalled_player_comes_back(two_rooms, sdb):
    horn = tone(sdb, "horn", 0.3, 500)
    since = every_wav(two_rooms)
    staff = UserFactory.create(is_staff=True)
    b = two_rooms["b"]
    os.kill(b.proc.pid, signal.SIGSTOP)  # its heartbeat is still fresh: the announcement goes to b too
    try:
        answer = signed_in(staff).post(f"/api/v1/sounds/play/{horn.pk}?room=*")
        # Stalled past its claim's TTL, with nobody taking the room over meanwhile.
        wait_for(lambda: not sync_client().exists(claim_key("b")), "b's claim to expire")
    finally:
        os.kill(b.proc.pid, signal.SIGCONT)
    assert answer.status_code == 200
    assert answer.json()["rooms"] == ["a"]
    debits = CreditTransaction.objects.filter(user=staff, amount__lt=0)
    assert [(tx.action, tx.attempt) for tx in debits] == [(CreditAction.VLC_PLAY_SOUND, AttemptState.PLAYED)]
    assert not CreditTransaction.objects.filter(user=staff, action=CreditAction.REFUND).exists()
    assert balance(staff) == 24
    # b takes its room back and drops the announcement it read too late: it never plays it.
    wait_for(lambda: (beat := players.heartbeat("b")) is not None and beat.pid == b.proc.pid, "b to beat again")
    assert b.proc.poll() is None
    assert client_play(horn, "b") == 200
    wait_for(lambda: clips_done("b"), "the clip to end in room b")
    assert len(wavs(b, "Horn", since)) == 1  # the direct play only
    assert list(SoundPlayed.objects.filter(user=staff).values_list("room__slug", flat=True)) == ["a"]


def client_play(sound: Sound, room: str) -> int:
    status: int = signed_in(UserFactory.create()).post(f"/api/v1/sounds/play/{sound.pk}?room={room}").status_code
    return status
