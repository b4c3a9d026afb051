"""Issue 11: money moves where the state lives, against the real player daemon (WAV output) and real Redis."""

from __future__ import annotations

import functools
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import PlayerProcess
from core.redis_client import sync_client
from credits import services as credits
from credits.models import AttemptState, CreditAction, CreditTransaction
from player.daemon.runtime import _keep_and_record
from player.protocol import PlaySound, command_key
from playlists import services as playlists
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def frozen(player: PlayerProcess) -> Iterator[None]:
    """The daemon stalls (as under load or a long GC): commands wait in its channel."""
    os.kill(player.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(player.proc.pid, signal.SIGCONT)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(client: Client, path: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1/player/{path}", payload or {}, content_type="application/json")


def new_wavs(player: PlayerProcess, name: str, since: set[Any]) -> list[Any]:
    return [p for p in player.wavs() if p.name.endswith(f"-{name}.wav") and p not in since]


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each thread gives its DB connection back."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def long_playlist(sdb, user: User) -> Any:
    media.tone(sdb / "long.wav", 8.0, freq=400, gain_db=-6)
    scan()
    playlist = playlists.create_playlist(owner=user, name="Long")
    playlists.add_sound(playlist=playlist, sound_id=Sound.objects.get(filename="long.wav").pk)
    return playlist


def paid_starts() -> int:
    return CreditTransaction.objects.filter(action=CreditAction.PLAYER_PLAY).count()


def test_two_users_pressing_play_on_a_stopped_player_at_once_pay_once_per_real_start(
    player_process, long_playlist, user, settings
):
    settings.PLAYER_COMMAND_RATE_LIMIT = "1000/10s"  # this test is about money, not the flood guard
    other = UserFactory.create()
    ann, bob = logged_in(user), logged_in(other)
    assert api(ann, "playlist", {"playlist_id": long_playlist.pk}).status_code == 200
    for _ in range(20):
        assert api(ann, "stop").json()["status"] == "stopped"
        before, paid_before = set(player_process.wavs()), paid_starts()
        answers = at_once(lambda: api(ann, "play"), lambda: api(bob, "play"))
        assert [a.status_code for a in answers] == [200, 200]
        assert {a.json()["status"] for a in answers} == {"playing"}
        # One press started the track (one new rendering) and paid; the other found it playing: free.
        assert len(new_wavs(player_process, "Long", before)) == 1
        assert paid_starts() - paid_before == 1
    api(ann, "stop")
    assert paid_starts() == 20
    assert not CreditTransaction.objects.filter(action=CreditAction.REFUND).exists()
    user.refresh_from_db()
    other.refresh_from_db()
    assert user.credits + other.credits == 50 - 20


def test_a_music_command_whose_request_timed_out_is_never_run_afterwards(player_process, long_playlist, user, settings):
    client = logged_in(user)
    assert api(client, "playlist", {"playlist_id": long_playlist.pk}).status_code == 200
    api(client, "stop")
    settings.PLAYER_START_TIMEOUT_S = 1.0
    before = set(player_process.wavs())
    with frozen(player_process):  # past the deadline and the web side's wait
        late = api(client, "play")
    assert late.status_code == 503
    assert late.json()["detail"] == "The player did not answer in time."
    settings.PLAYER_START_TIMEOUT_S = 10.0  # the next command may wait for the daemon to catch up (shared CPU)
    # One queue, handled in order: once this is answered, the late play has been dealt with.
    after = api(client, "volume", {"volume": 55})
    assert after.status_code == 200
    assert after.json()["status"] == "stopped"
    assert not new_wavs(player_process, "Long", before)
    assert "Dropped an expired 'music.command' command" in player_process.log_path.read_text()
    assert paid_starts() == 0
    user.refresh_from_db()
    assert user.credits == 25


def test_a_music_start_without_credits_is_402_and_nothing_plays(player_process, long_playlist, user):
    client = logged_in(user)
    assert api(client, "playlist", {"playlist_id": long_playlist.pk}).status_code == 200
    api(client, "stop")
    User.objects.filter(pk=user.pk).update(credits=0)
    before = set(player_process.wavs())
    refused = api(client, "play")
    assert refused.status_code == 402
    assert "costs 1, you have 0" in refused.json()["detail"]
    assert api(client, "volume", {"volume": 60}).json()["status"] == "stopped"  # free commands still work
    assert not new_wavs(player_process, "Long", before)
    assert paid_starts() == 0


def test_the_daemon_drops_a_malformed_command_and_goes_on(player_process, long_playlist, user):
    garbage = {"type": "music.command", "command": "play", "user_id": user.pk, "deadline": time.time() + 5, "x": 1}
    sync_client().rpush(command_key("main"), "not json", "[1, 2]", json.dumps(garbage))
    client = logged_in(user)
    assert api(client, "playlist", {"playlist_id": long_playlist.pk}).status_code == 200
    assert api(client, "stop").json()["status"] == "stopped"  # answered after the garbage: never half run
    log = player_process.log_path.read_text()
    assert "Dropped a command that is not JSON: 'not json'" in log
    assert "Dropped a command that is not an object: '[1, 2]'" in log
    assert "Dropped a malformed 'music.command' command" in log
    assert paid_starts() == 0


# --- An instant play: one attempt, kept or refunded, never both ------------------------------------------------
def pending_play(user: User, sound: Sound) -> tuple[CreditTransaction, PlaySound]:
    attempt = credits.debit(user_id=user.pk, amount=1, action=CreditAction.VLC_PLAY_SOUND, attempt=True)
    command = PlaySound(
        deadline=time.time() + 5,
        playback_id="0123456789ab",
        sound_id=sound.pk,
        name=sound.name,
        path="/nowhere.wav",
        user_id=user.pk,
        source="board",
        attempt_id=attempt.pk,
    )
    return attempt, command


def refunds_of(attempt: CreditTransaction) -> int:
    return CreditTransaction.objects.filter(action=CreditAction.REFUND, idempotency_key=f"refund:{attempt.pk}").count()


def test_a_refunded_play_is_never_recorded_and_a_recorded_one_never_refunded(user):
    sound = SoundFactory.create()
    # Each order once, so both outcomes are seen ...
    first, command = pending_play(user, sound)
    assert credits.refund_attempt(first, reason="timed out") is not None
    assert not _keep_and_record(command, "late", "main")
    second, command = pending_play(user, sound)
    assert _keep_and_record(command, "on-time", "main")
    assert credits.refund_attempt(second, reason="timed out") is None
    # ... then the daemon's "first samples" and the web side's "gave up" raced, many times.
    outcomes = []
    for _ in range(40):
        attempt, command = pending_play(user, sound)
        kept, refund = at_once(
            functools.partial(_keep_and_record, command, "raced", "main"),
            functools.partial(credits.refund_attempt, attempt, reason="gave up"),
        )
        attempt.refresh_from_db()
        assert kept != (refund is not None)
        assert attempt.attempt == (AttemptState.PLAYED if kept else AttemptState.REFUNDED)
        assert refunds_of(attempt) == (0 if kept else 1)
        outcomes.append(kept)
    plays = SoundPlayed.objects.filter(sound=sound).count()
    assert plays == 1 + outcomes.count(True)
    refunded = CreditTransaction.objects.filter(action=CreditAction.REFUND, user=user).count()
    assert refunded == 1 + outcomes.count(False)
    user.refresh_from_db()
    assert user.credits == 25 - plays  # what was kept is exactly what was played
