"""The rooms' pages (issue 13): the top bar's switcher, the board and the bar in the chosen room, the feed and the
dashboard by room. Room `a` has a real player (rendering to its own folder); room `b` has none: it is offline."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import PlayerProcess, start_player, stop_player
from core.redis_client import sync_client
from credits.models import CreditTransaction
from player import client as players
from player import rooms
from player.models import ChosenRoom, Room
from player.protocol import PublishedState, heartbeat_key, state_key
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HX-Request": "true"}


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def room_a(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayerProcess]:
    workdir = tmp_path_factory.mktemp("rooms-pages")
    out, log, root = workdir / "out-a", workdir / "player-a.log", workdir / "sounds"
    player = PlayerProcess(out, start_player(out, log, root, "a"), log, root, "a")
    yield player
    stop_player(player.proc)


@pytest.fixture
def sdb(room_a: PlayerProcess, settings: Any) -> Path:
    settings.SOUNDS_ROOT = room_a.sounds_root
    folder = room_a.sounds_root / "originals" / "soundboard"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    # Each test ends with a flush of every table: the rooms come back with the test's own rows.
    Room.objects.update_or_create(slug="a", defaults={"name": "Bar"})
    Room.objects.update_or_create(slug="b", defaults={"name": "Terrace"})
    sync_client().delete(heartbeat_key("b"))  # b has no player: a leftover heartbeat must not make it online
    return folder


def tone(sdb: Path, name: str, seconds: float) -> Sound:
    media.tone(sdb / f"{name}.wav", seconds, freq=600, gain_db=-3)
    scan()
    return Sound.objects.get(filename=f"{name}.wav")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_room(slug: str) -> Client:
    user = UserFactory.create()
    rooms.choose(user=user, slug=slug)
    return signed_in(user)


def toast(answer: Any) -> str:
    """The refusal's sentence, as the page's toast shows it."""
    return str(json.loads(answer["HX-Trigger"])["toasts"][0]["message"])


def balance(client: Client) -> int:
    return User.objects.get(pk=client.session["_auth_user_id"]).credits


def test_with_one_room_the_top_bar_has_no_switcher(authed_client):
    Room.objects.exclude(slug="main").delete()
    page = authed_client.get("/").content.decode()
    assert 'data-testid="room-switcher"' not in page
    assert 'data-testid="player-bar"' in page


def test_the_switcher_shows_each_room_its_status_and_what_it_plays(sdb, room_a):
    horn = tone(sdb, "horn", 3.0)
    client = in_room("a")
    assert client.post(f"/player/play/{horn.pk}/", headers=HTMX).status_code == 204
    # The clip is in a's heartbeat once the player has started it (it writes one every second).
    wait_for(lambda: (beat := players.heartbeat("a")) is not None and beat.clips, "the clip in a's heartbeat")
    page = client.get("/player/").content.decode()
    assert 'data-testid="room-switcher"' in page
    summary = page.split('data-testid="room-current"')[1].split("</summary>")[0]
    assert "Bar" in summary
    assert "is-online" in summary
    assert "offline" not in summary
    assert "Online · “Horn”" in page.split('data-testid="room-status-a"')[1]
    assert "Offline: plays there are refused" in page.split('data-testid="room-status-b"')[1]
    assert 'aria-current="true" data-testid="room-option-a"' in page
    # The switcher's list, read again as it opens: the same rooms, nothing of the page around it.
    listing = client.get("/player/rooms/", headers=HTMX).content.decode()
    assert listing.strip().startswith('<div id="room-list"')
    assert 'data-testid="room-status-b"' in listing
    wait_for(lambda: not players.heartbeat("a").clips, "the clip to end")  # type: ignore[union-attr]


def test_an_offline_room_shows_offline_in_the_switcher_and_the_bar(sdb):
    # A killed player's last state stays in Redis: the bar must still say offline, not show that state.
    sync_client().set(state_key("b"), PublishedState(status="playing").model_dump_json())
    client = in_room("b")
    page = client.get("/").content.decode()
    summary = page.split('data-testid="room-current"')[1].split("</summary>")[0]
    assert "Terrace" in summary
    assert "offline" in summary
    assert "is-online" not in summary
    bar = page.split('data-testid="player-bar"')[0].rsplit("<div", 1)[1]
    assert "is-offline" in bar
    assert 'data-room="b"' in bar
    assert "Terrace's player is offline: plays there are refused." in page


def test_choosing_a_room_without_javascript_is_remembered_and_goes_back_to_the_page(sdb):
    user = UserFactory.create()
    client = signed_in(user)
    answer = client.post("/player/rooms/choose/", {"room": "b"}, HTTP_REFERER="http://testserver/dashboard/")
    assert (answer.status_code, answer["Location"]) == (302, "http://testserver/dashboard/")
    assert ChosenRoom.objects.get(user=user).room.slug == "b"
    page = client.get("/dashboard/").content.decode()
    assert "You are in Terrace now" in page
    assert '<body hx-ext="morph"' in page
    assert 'data-room="b"' in page


def test_choosing_a_room_with_htmx_reloads_the_page_for_it(sdb):
    user = UserFactory.create()
    answer = signed_in(user).post("/player/rooms/choose/", {"room": "a"}, headers=HTMX)
    assert (answer.status_code, answer["HX-Refresh"]) == (204, "true")
    assert rooms.chosen(user).slug == "a"


def test_the_rooms_toast_waits_for_the_page_that_reloads_not_a_background_refresh(sdb):
    # The choice reaches every page of the person live, and each asks for its parts again (/live/refresh/) while
    # the page that chose reloads: the toast must not be spent on those background requests.
    user = UserFactory.create()
    client = signed_in(user)
    client.post("/player/rooms/choose/", {"room": "a"}, headers=HTMX)
    background = client.get("/live/refresh/", headers=HTMX)
    assert background.status_code == 200
    assert "toasts" not in background.headers.get("HX-Trigger", "")
    assert "You are in Bar now" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        ({}, 400, "Choose a room."),
        ({"room": ""}, 400, "Choose a room."),
        ({"room": "bar room"}, 400, "is not a room"),
        ({"room": "a" * 200}, 400, "is not a room"),
        ({"room": "cellar"}, 404, "There is no room “cellar”"),
        ({"room": "*"}, 400, "is not a room"),
    ],
)
def test_a_bad_room_choice_is_refused_with_the_reason_and_changes_nothing(sdb, data, status, reason):
    user = UserFactory.create()
    rooms.choose(user=user, slug="a")
    answer = signed_in(user).post("/player/rooms/choose/", data, headers=HTMX)
    assert answer.status_code == status
    assert reason in toast(answer)
    assert rooms.chosen(user).slug == "a"


def test_a_board_click_plays_in_the_chosen_room_only(sdb, room_a):
    horn = tone(sdb, "horn", 0.4)
    before = set(room_a.wavs())
    client = in_room("a")
    assert client.post(f"/player/play/{horn.pk}/", headers=HTMX).status_code == 204
    wait_for(lambda: [p for p in room_a.wavs() if p not in before and p.name.endswith("-Horn.wav")], "a's WAV")
    # The player records the play as it starts it, beside the file it renders: wait for the row as well.
    wait_for(lambda: SoundPlayed.objects.filter(sound=horn).exists(), "the play's row")
    assert SoundPlayed.objects.get(sound=horn).room.slug == "a"  # type: ignore[union-attr]


def test_a_click_in_an_offline_room_says_so_and_costs_nothing(sdb):
    horn = tone(sdb, "horn", 0.4)
    client = in_room("b")
    credits = balance(client)
    answer = client.post(f"/player/play/{horn.pk}/", headers=HTMX)
    assert answer.status_code == 503
    assert "offline" in toast(answer)
    assert balance(client) == credits
    assert not SoundPlayed.objects.exists()
    assert not CreditTransaction.objects.filter(amount__lt=0).exists()
    stop = client.post("/player/stop/", headers=HTMX)
    assert stop.status_code == 503
    assert "offline" in toast(stop)


def test_the_feed_names_the_room_of_each_play_once_there_are_several(sdb, room_a):
    horn = tone(sdb, "horn", 0.3)
    client = in_room("a")
    assert client.post(f"/player/play/{horn.pk}/", headers=HTMX).status_code == 204
    feed = client.get("/").content.decode().split('data-testid="recent-plays"')[1].split("</ol>")[0]
    assert 'data-testid="play-room">in Bar</span>' in feed
    Room.objects.filter(slug="b").delete()
    Room.objects.filter(slug="main").delete()
    feed = client.get("/").content.decode().split('data-testid="recent-plays"')[1].split("</ol>")[0]
    assert "Horn" in feed
    assert "play-room" not in feed


def test_the_dashboard_filters_by_room(sdb, room_a):
    horn = tone(sdb, "horn", 0.3)
    client = in_room("a")
    assert client.post(f"/player/play/{horn.pk}/", headers=HTMX).status_code == 204
    # The player writes the play's row once the sound really starts, just after it answers the click.
    wait_for(lambda: SoundPlayed.objects.filter(sound=horn, room__slug="a").exists(), "the play's row")
    page = client.get("/dashboard/").content.decode()
    assert 'data-testid="dash-room"' in page
    assert '<option value="b">Terrace</option>' in page

    def total(query: str) -> str:
        answer = client.get(f"/dashboard/{query}", headers=HTMX)
        assert answer.status_code == 200
        return answer.content.decode().split('data-testid="dash-total">')[1].split("<")[0]

    assert (total("?room=a"), total("?room=b"), total("")) == ("1", "0", "1")
    bad = client.get("/dashboard/?room=cellar")
    assert bad.status_code == 400
    assert "There is no room &#x27;cellar&#x27;. Showing the default view." in bad.content.decode()


def test_a_pages_live_refresh_brings_the_chosen_rooms_bar_and_switcher(sdb):
    # What a page asks for after a reconnect, or after its person chose another room on another page.
    client = in_room("b")
    parts = client.get("/live/refresh/", headers=HTMX).content.decode()
    assert 'data-room="b"' in parts.split('id="player-bar"')[1].split(">")[0]
    assert 'id="room-summary"' in parts
    assert 'id="room-list"' in parts
    assert parts.count('hx-swap-oob="morph"') == 3
