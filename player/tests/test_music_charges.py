"""Issue 16, item 1: every music charge is announced, explained in the ledger, and a refusal costs nothing.

Against the real player daemon (WAV output) and real Redis, as a person uses it: the bar's htmx posts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from credits.models import CreditAction, CreditTransaction
from playlists import services as playlists
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def press(client: Client, **data: Any) -> Any:
    return client.post("/player/music/", data, HTTP_HX_REQUEST="true")


def toasts(response: Any) -> list[str]:
    return [t["message"] for t in json.loads(response.headers.get("HX-Trigger", "{}")).get("toasts", [])]


def music_rows() -> list[CreditTransaction]:
    return list(CreditTransaction.objects.filter(action=CreditAction.PLAYER_PLAY).order_by("pk"))


@pytest.fixture
def party(sdb, user: User) -> Any:
    for name, freq in (("alpha", 300), ("beta", 500)):
        media.tone(sdb / f"{name}.wav", 6.0, freq=freq, gain_db=-6)
    scan()
    playlist = playlists.create_playlist(owner=user, name="Party")
    for name in ("alpha", "beta"):
        playlists.add_sound(playlist=playlist, sound_id=Sound.objects.get(filename=f"{name}.wav").pk)
    return playlist


def test_playing_an_empty_playlist_is_refused_and_charges_nothing(player_process, user):
    empty = playlists.create_playlist(owner=user, name="Nothing here")
    client = logged_in(user)
    refused = press(client, command="set_playlist", playlist_id=empty.pk, play="1")
    assert refused.status_code == 409
    assert toasts(refused) == ["“Nothing here” is empty: add sounds first."]
    refused = client.post("/api/v1/player/playlist", {"playlist_id": empty.pk, "play": True}, "application/json")
    assert refused.status_code == 409
    assert music_rows() == []
    user.refresh_from_db()
    assert user.credits == 25


def test_a_playlist_whose_files_are_gone_is_refused_without_a_charge(player_process, party, user):
    for sound in Sound.objects.all():
        sound.original_path.unlink()
        if sound.normalized_path is not None:
            sound.normalized_path.unlink(missing_ok=True)
    client = logged_in(user)
    refused = press(client, command="set_playlist", playlist_id=party.pk, play="1")
    assert refused.status_code == 409
    assert "can be played" in toasts(refused)[0]
    assert music_rows() == []


def test_each_paid_press_is_announced_with_its_cost_and_named_in_the_ledger(player_process, party, user):
    client = logged_in(user)
    started = press(client, command="set_playlist", playlist_id=party.pk, play="1")
    assert started.status_code == 200
    assert toasts(started) == ["Playing “Alpha” · 1 credit · 24 left"]
    moved = press(client, command="next")
    assert toasts(moved) == ["Playing “Beta” · 1 credit · 23 left"]
    back = press(client, command="previous")
    assert toasts(back) == ["Playing “Alpha” · 1 credit · 22 left"]
    # Free presses say nothing about money.
    paused = press(client, command="pause")
    assert paused.status_code == 200
    assert toasts(paused) == []
    resumed = press(client, command="play")
    assert toasts(resumed) == []
    press(client, command="stop")

    assert [row.detail for row in music_rows()] == [
        "Started the playlist with “Alpha” from “Party”",
        "Next track “Beta” from “Party”",
        "Previous track “Alpha” from “Party”",
    ]
    page = client.get("/credits/").content.decode()
    assert "Next track “Beta” from “Party”" in page
    user.refresh_from_db()
    assert user.credits == 22


def test_the_bar_and_the_track_list_say_what_a_press_costs(player_process, party, user):
    client = logged_in(user)
    press(client, command="set_playlist", playlist_id=party.pk)
    bar = press(client, command="stop").content.decode()
    assert 'aria-label="Next track (1 credit)"' in bar
    assert 'aria-label="Previous track (1 credit)"' in bar
    assert 'aria-label="Play (1 credit)"' in bar
    page = client.get("/player/").content.decode()
    assert 'aria-label="Play Alpha (1 credit)"' in page
    detail = client.get(f"/playlists/{party.pk}/").content.decode()
    assert "▶ Play this playlist · 1 credit" in detail
