"""The board's plays through the real player process: per-sound volume, cooldowns and random play."""

from __future__ import annotations

import math
import threading
import time
import wave
from array import array
from pathlib import Path

import pytest
from django.db import close_old_connections
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.errors import UserError
from credits.models import CreditAction, CreditTransaction
from player import client
from playlists import services as playlists
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tags import Tag
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)


def balance(user: User) -> int:
    user.refresh_from_db()
    return user.credits


def debits(user: User) -> int:
    return CreditTransaction.objects.filter(user=user, action=CreditAction.VLC_PLAY_SOUND).count()


def rendered(player_process, before: set[Path], seconds: float) -> Path:
    """The WAV of the next playback (the file not in `before`: names sort by second, then by a random id, so two
    plays within one second can sort either way), once libvlc has written all of it."""
    deadline = time.monotonic() + 15
    while True:
        new = set(player_process.wavs()) - before
        if new:
            (path,) = new
            try:
                with wave.open(str(path)) as w:
                    if w.getnframes() >= 0.95 * seconds * w.getframerate():
                        return path
            except EOFError:
                pass  # just created: its header comes with the first samples (a music track's, after its answer)
        assert time.monotonic() < deadline, "the playback was never rendered"
        time.sleep(0.05)


def rms_db(path: Path) -> float:
    with wave.open(str(path)) as w:
        samples = array("h", w.readframes(w.getnframes()))  # 16-bit, as the engine renders
    middle = samples[len(samples) // 4 : 3 * len(samples) // 4]  # no start-up or ending in the measure
    return 10 * math.log10(sum(s * s for s in middle) / len(middle))


@pytest.fixture
def tone(sdb) -> Sound:
    media.tone(sdb / "tone.wav", 1.0, freq=500, gain_db=-12)
    scan()
    return Sound.objects.get(filename="tone.wav")


def test_a_sounds_volume_is_what_the_room_hears(player_process, tone, authed_client):
    levels = {}
    for volume in (100, 50, 200):
        Sound.objects.filter(pk=tone.pk).update(volume=volume)
        before = set(player_process.wavs())
        assert authed_client.post(f"/api/v1/sounds/play/{tone.pk}").status_code == 200
        levels[volume] = rms_db(rendered(player_process, before, 1.0))
    assert levels[50] - levels[100] == pytest.approx(-6.02, abs=0.5)
    assert levels[200] - levels[100] == pytest.approx(6.02, abs=0.5)


def test_a_sounds_volume_scales_its_music_track_but_not_the_players_volume(player_process, tone, user, authed_client):
    playlist = playlists.create_playlist(owner=user, name="Levels")
    playlists.add_sound(playlist=playlist, sound_id=tone.pk)

    def music(path: str, payload: dict[str, object]) -> dict[str, object]:
        response = authed_client.post(f"/api/v1/player/{path}", payload, content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()

    def track_over() -> None:
        # Starting the playlist again while its track plays would leave that track playing: wait for the stop.
        deadline = time.monotonic() + 10
        while (state := client.state()) is None or state.status != "stopped":
            assert time.monotonic() < deadline, "the track never ended"
            time.sleep(0.05)

    music("mode", {"mode": "single"})  # the player is shared by this module's tests: set what we test
    music("volume", {"volume": 80})
    levels = {}
    for volume in (100, 50, 200):
        Sound.objects.filter(pk=tone.pk).update(volume=volume)
        before = set(player_process.wavs())
        state = music("playlist", {"playlist_id": playlist.pk, "play": True})
        assert state["volume"] == 80  # the slider shows the player's volume, whatever the track's
        levels[volume] = rms_db(rendered(player_process, before, 1.0))
        track_over()
    assert levels[50] - levels[100] == pytest.approx(-6.02, abs=0.5)
    assert levels[200] - levels[100] == pytest.approx(6.02, abs=0.5)
    # And the player's own volume still counts: 80 % of the sound's 100 % is 1.9 dB under full scale's 100 %.
    music("volume", {"volume": 100})
    Sound.objects.filter(pk=tone.pk).update(volume=100)
    before = set(player_process.wavs())
    music("playlist", {"playlist_id": playlist.pk, "play": True})
    assert rms_db(rendered(player_process, before, 1.0)) - levels[100] == pytest.approx(1.94, abs=0.5)


def test_a_cooldown_refuses_the_next_play_for_everyone_and_charges_nothing(player_process, tone, user, authed_client):
    Sound.objects.filter(pk=tone.pk).update(cooldown_s=30)
    assert authed_client.post(f"/api/v1/sounds/play/{tone.pk}").status_code == 200
    other = UserFactory.create()
    other_client = Client()
    other_client.force_login(other)
    refused = other_client.post(f"/api/v1/sounds/play/{tone.pk}")
    assert refused.status_code == 429
    assert 28 <= int(refused["Retry-After"]) <= 30
    assert "can play again in" in refused.json()["detail"]
    assert balance(other) == 25
    assert debits(other) == 0
    item = authed_client.get("/api/v1/sounds/").json()["items"][0]
    assert 28 <= item["cooldown_remaining_s"] <= 30
    # The page's button says so too (a toast), without charging.
    page = other_client.post(f"/player/play/{tone.pk}/", HTTP_HX_REQUEST="true")
    assert page.status_code == 429
    assert balance(other) == 25


def test_two_plays_at_once_during_a_cooldown_one_wins(player_process, tone):
    Sound.objects.filter(pk=tone.pk).update(cooldown_s=60)
    users = [UserFactory.create(), UserFactory.create()]
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def press(user: User) -> None:
        try:
            start.wait()
            outcomes.append(client.play_sound(user=user, sound_id=tone.pk, room="main"))
        except UserError as exc:
            outcomes.append(exc.status)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=press, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(str(o) for o in outcomes if isinstance(o, int)) == ["429"]
    assert sum(debits(u) for u in users) == 1
    assert sum(balance(u) for u in users) == 49


def test_a_play_refused_for_credits_leaves_no_cooldown(player_process, tone, user, authed_client):
    Sound.objects.filter(pk=tone.pk).update(cooldown_s=60)
    User.objects.filter(pk=user.pk).update(credits=0)
    assert authed_client.post(f"/api/v1/sounds/play/{tone.pk}").status_code == 402
    tone.refresh_from_db()
    assert tone.next_play_at is None
    rich = Client()
    rich.force_login(UserFactory.create())
    assert rich.post(f"/api/v1/sounds/play/{tone.pk}").status_code == 200


def test_a_refunded_play_gives_its_cooldown_back(player_process, sdb, user, authed_client):
    media.tone(sdb / "soon-broken.wav", 0.5)
    scan()
    sound = Sound.objects.get()
    Sound.objects.filter(pk=sound.pk).update(cooldown_s=60)
    sound.original_path.write_bytes(b"\x00not audio any more" * 300)  # libvlc cannot play it: refunded
    response = authed_client.post(f"/api/v1/sounds/play/{sound.pk}")
    assert response.status_code == 503
    sound.refresh_from_db()
    assert sound.next_play_at is None
    assert balance(user) == 25


def test_random_plays_one_of_the_filtered_sounds_for_one_credit(player_process, sdb, user, authed_client):
    for i, name in enumerate(("alpha", "bravo", "charlie")):
        media.tone(sdb / f"{name}.wav", 0.3, freq=300 + i * 100)
    scan()
    bravo = Sound.objects.get(filename="bravo.wav")
    bravo.tags.add(Tag.objects.create(name="pick me"))
    response = authed_client.post("/api/v1/sounds/play/random?tags=pick+me")
    assert response.status_code == 200
    assert response.json()["sound_id"] == bravo.pk
    assert balance(user) == 24
    response = authed_client.post("/api/v1/sounds/play/random?q=a")  # alpha, bravo or charlie
    assert response.status_code == 200
    assert response.json()["sound_id"] in set(Sound.objects.values_list("pk", flat=True))
    assert balance(user) == 23
    deadline = time.monotonic() + 10
    while SoundPlayed.objects.count() < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_random_with_nothing_to_pick_is_404_and_free(player_process, tone, user, authed_client):
    for query in ("?q=nothing-like-this", "?favorites=true", "?tags=none", "?types=EXT"):
        response = authed_client.post(f"/api/v1/sounds/play/random{query}")
        assert response.status_code == 404, query
        assert response.json()["detail"] == "No sound matches these filters right now."
    # A sound cooling down is not picked either.
    Sound.objects.filter(pk=tone.pk).update(cooldown_s=60)
    assert authed_client.post("/api/v1/sounds/play/random").status_code == 200
    assert authed_client.post("/api/v1/sounds/play/random").status_code == 404
    assert balance(user) == 24
