"""The up-next queue for real: the player process plays queued sounds (rendered to WAV files) ahead of the
playlist's next track; adding is paid like starting the music and the ledger names the sound."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from credits.models import CreditAction, CreditTransaction
from player.models import QueueItem, Room
from player.tests.test_music import api, make_playlist, music_wavs
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition: Callable[[], object], timeout: float = 15, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add(client: Client, sound: Sound, *, next: bool = False):
    return client.post("/api/v1/player/queue", {"sound_id": sound.pk, "next": next}, content_type="application/json")


def tone_sound(sdb, name: str, seconds: float, freq: int) -> Sound:
    media.tone(sdb / f"{name}.wav", seconds, freq=freq, gain_db=-3)
    scan()
    return Sound.objects.get(filename=f"{name}.wav")


@pytest.fixture
def quiet_player(player_process):
    """The shared player stopped with an empty queue, whatever the test before left."""
    QueueItem.objects.all().delete()
    staff = signed_in(UserFactory.create(is_staff=True))
    api(staff, "stop")
    return player_process


def test_adding_to_a_stopped_player_plays_it_charges_once_and_the_ledger_names_it(quiet_player, sdb):
    user = UserFactory.create()
    make_playlist(user, sdb, [("bed", 0.4, 300)])
    horn = tone_sound(sdb, "horn", 0.5, 500)
    client = signed_in(user)
    response = add(client, horn)
    assert response.status_code == 201, response.content
    wait_for(lambda: music_wavs(quiet_player, "Horn"), what="the queued sound to play")
    wait_for(lambda: not QueueItem.objects.exists(), what="the row to be taken")
    debits = CreditTransaction.objects.filter(user=user, amount__lt=0)
    assert [(d.action, d.amount, d.detail) for d in debits] == [(CreditAction.QUEUE_ADD, -1, "Horn")]
    user.refresh_from_db()
    assert user.credits == 24
    page = client.get("/credits/").content.decode()
    assert "Added to the music queue" in page
    assert "Horn" in page


def test_queued_sounds_play_before_the_playlists_next_track_in_queue_order(quiet_player, sdb):
    user = UserFactory.create()
    playlist = make_playlist(user, sdb, [("first", 1.5, 300), ("second", 0.4, 400)])
    last = tone_sound(sdb, "last", 0.4, 600)
    soon = tone_sound(sdb, "soon", 0.4, 700)
    client = signed_in(user)
    api(client, "mode", {"mode": "continuous"})
    assert api(client, "playlist", {"playlist_id": playlist.pk, "play": True}).status_code == 200
    assert add(client, last).status_code == 201
    answer = add(client, soon, next=True)  # ahead of "last"
    assert [item["name"] for item in answer.json()["items"]] == ["Soon", "Last"]
    assert client.get("/api/v1/player/state").json()["up_next"]["name"] == "Soon"
    wait_for(lambda: music_wavs(quiet_player, "Second"), timeout=20, what="the playlist to go on")
    order = sorted(
        (w for n in ("First", "Soon", "Last", "Second") for w in music_wavs(quiet_player, n)),
        key=lambda p: p.stat().st_mtime,
    )
    assert [w.name.rsplit("-", 1)[-1] for w in order][-4:] == ["First.wav", "Soon.wav", "Last.wav", "Second.wav"]
    # Starting the playlist and the two adds were paid; auto-advance into the queue and out of it was free.
    assert CreditTransaction.objects.filter(user=user, amount__lt=0).count() == 3


def test_a_queued_sound_deleted_before_its_turn_is_skipped(quiet_player, sdb):
    user = UserFactory.create()
    playlist = make_playlist(user, sdb, [("long", 1.5, 300)])
    doomed = tone_sound(sdb, "doomed", 0.4, 500)
    kept = tone_sound(sdb, "kept", 0.4, 800)
    client = signed_in(user)
    api(client, "mode", {"mode": "single"})
    api(client, "playlist", {"playlist_id": playlist.pk, "play": True})
    api(client, "mode", {"mode": "continuous"})
    add(client, doomed)
    add(client, kept)
    doomed.delete()  # its queue row goes with it
    wait_for(lambda: music_wavs(quiet_player, "Kept"), timeout=20, what="the next queued sound")
    assert not music_wavs(quiet_player, "Doomed")


def test_bad_adds_are_refused_with_a_reason_and_charge_nothing(quiet_player, sdb):
    user = UserFactory.create()
    horn = tone_sound(sdb, "horn", 0.4, 500)
    client = signed_in(user)
    gone = add(client, Sound(pk=987654))
    assert gone.status_code == 404
    assert "no longer exists" in gone.json()["detail"]
    for body in ({"sound_id": 0}, {"sound_id": "x"}, {"sound_id": 10**30}, {}):
        assert client.post("/api/v1/player/queue", body, content_type="application/json").status_code == 400
    QueueItem.objects.bulk_create([QueueItem(room=Room.ensure("main"), sound=horn, position=i) for i in range(50)])
    full = add(client, horn)
    assert full.status_code == 413
    assert "The queue is full (50 sounds)" in full.json()["detail"]
    assert QueueItem.objects.count() == 50
    QueueItem.objects.all().delete()
    User.objects.filter(pk=user.pk).update(credits=0)
    poor = add(client, horn)
    assert poor.status_code == 402
    assert not QueueItem.objects.exists()
    assert not CreditTransaction.objects.filter(user=user, amount__lt=0).exists()


def test_reorder_move_and_remove(quiet_player, sdb):
    owner, other, staff = UserFactory.create(), UserFactory.create(), UserFactory.create(is_staff=True)
    horn = tone_sound(sdb, "horn", 0.4, 500)
    main = Room.ensure("main")
    a, b, c = (QueueItem.objects.create(room=main, sound=horn, position=i, added_by=owner) for i in range(3))
    client = signed_in(other)
    answer = client.put("/api/v1/player/queue", {"items": [c.pk, a.pk, 999999]}, content_type="application/json")
    assert [i["id"] for i in answer.json()["items"]] == [c.pk, a.pk, b.pk]
    client.post(f"/player/queue/{b.pk}/move/", {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert list(QueueItem.objects.values_list("pk", flat=True)) == [c.pk, b.pk, a.pk]
    assert client.post(f"/player/queue/{b.pk}/move/", {"direction": "sideways"}).status_code == 302  # refused
    refused = client.delete(f"/api/v1/player/queue/{a.pk}")
    assert refused.status_code == 403
    assert "Only whoever queued it" in refused.json()["detail"]
    assert signed_in(owner).delete(f"/api/v1/player/queue/{a.pk}").status_code == 200
    assert signed_in(staff).delete(f"/api/v1/player/queue/{b.pk}").status_code == 200
    assert signed_in(staff).delete(f"/api/v1/player/queue/{b.pk}").status_code == 404
    assert list(QueueItem.objects.values_list("pk", flat=True)) == [c.pk]
    page = client.get("/player/").content.decode()
    assert 'data-testid="queue-item"' in page
    assert "Horn" in page
