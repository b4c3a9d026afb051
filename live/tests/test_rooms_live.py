"""Rooms on the live socket (issue 13): a page follows its person's chosen room's player, and every room's plays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async

from accounts.models import User
from accounts.tests.factories import UserFactory
from live import events, rendering
from live.contexts import SoundPlayed
from live.tests.sockets import connect, connect_events, receive_event, receive_until
from player import client as players
from player import rooms
from player.models import Room
from player.protocol import PlayerStateChanged, PublishedState, SoundsStopped, TrackInfo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_room_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # The process keeps the rooms' names a few seconds: an earlier test's rooms must not name these.
    monkeypatch.setattr(rendering, "room_names", rendering.RoomNames())


def person_in(slug: str) -> User:
    for room, name in (("a", "Bar"), ("b", "Terrace")):
        Room.objects.update_or_create(slug=room, defaults={"name": name})
    user = UserFactory.create()
    rooms.choose(user=user, slug=slug)
    return user


def playing(room: str, track: str) -> PlayerStateChanged:
    info = TrackInfo(sound_id=1, name=track, duration_ms=1000)
    return PlayerStateChanged(room=room, state=PublishedState(status="playing", current_track=info))


async def test_a_page_gets_its_rooms_player_bar_and_never_anothers():
    user = await sync_to_async(person_in)("a")
    ws, accepted = await connect(user)
    assert accepted
    await events.abroadcast(playing("b", "Terrace song"))
    await events.abroadcast(SoundsStopped(room="b", count=2))
    await events.abroadcast(playing("a", "Bar song"))
    frame = await receive_until(ws, 'id="player-bar"')
    assert "Bar song" in frame
    assert 'data-room="a"' in frame
    await events.abroadcast(SoundsStopped(room="a", count=1))
    assert "Every sound in Bar was stopped." in await receive_until(ws, "was stopped")
    await ws.disconnect()


async def test_choosing_a_room_elsewhere_moves_every_open_page_to_it():
    user = await sync_to_async(person_in)("a")
    ws, _ = await connect(user)
    await sync_to_async(rooms.choose)(user=user, slug="b")  # on another page, or through the API
    chosen = await receive_until(ws, "room:chosen")
    assert 'data-room="b"' in chosen
    await events.abroadcast(playing("a", "Bar song"))
    await events.abroadcast(playing("b", "Terrace song"))
    frame = await receive_until(ws, 'id="player-bar"')
    assert "Terrace song" in frame
    await ws.disconnect()


async def test_a_room_going_offline_makes_every_page_read_its_bar_and_switcher_again():
    # No player runs here, so every room is offline now; the last look (stored in Redis) had room b online.
    user = await sync_to_async(person_in)("a")
    ws, _ = await connect(user)
    await sync_to_async(players.swap_online_rooms)(["b"])
    assert await sync_to_async(rooms.announce_changes)() is True
    frame = await receive_until(ws, "rooms:changed")
    assert 'hx-swap-oob="beforeend"' in frame  # a trigger for the page's refresh, appended to #live-triggers
    # Nothing changed since: nothing is sent, however many web processes or beats look.
    assert await sync_to_async(rooms.announce_changes)() is False
    assert await sync_to_async(players.swap_online_rooms)([]) == []
    await ws.disconnect()


async def test_every_page_sees_every_rooms_plays_marked_with_the_room():
    user = await sync_to_async(person_in)("a")
    ws, _ = await connect(user)
    played = SoundPlayed(
        sound_id=7, sound_name="Horn", play_count=3, user_id=None, user_name="Ann", source="board",
        played_at=datetime.now(UTC), room="b",
    )  # fmt: skip
    await events.abroadcast(played)
    frame = await receive_until(ws, "recent-plays")
    assert 'data-testid="play-room">in Terrace</span>' in frame
    await ws.disconnect()


async def test_a_play_to_many_pages_of_one_process_reads_the_room_names_once(monkeypatch: pytest.MonkeyPatch):
    # Every socket of a process gets the event at once and finds the names stale: they must share one read,
    # not queue one each on the thread all the sockets share.
    reads = 0
    real = rooms.names

    def counting() -> dict[str, str]:
        nonlocal reads
        reads += 1
        return real()

    monkeypatch.setattr(rooms, "names", counting)
    users = [await sync_to_async(person_in)("a") for _ in range(6)]
    sockets = [(await connect(u))[0] for u in users]
    played = SoundPlayed(
        sound_id=7, sound_name="Horn", play_count=3, user_id=None, user_name="Ann", source="board",
        played_at=datetime.now(UTC), room="b",
    )  # fmt: skip
    await events.abroadcast(played)
    for ws in sockets:
        frame = await receive_until(ws, "recent-plays")
        assert 'data-testid="play-room">in Terrace</span>' in frame
    assert reads == 1
    for ws in sockets:
        await ws.disconnect()


async def test_a_programs_socket_is_not_moved_by_a_room_choice_and_keeps_every_rooms_events():
    user = await sync_to_async(person_in)("a")
    ws, accepted, _ = await connect_events(user=user)
    assert accepted
    await sync_to_async(rooms.choose)(user=user, slug="b")
    await events.abroadcast(playing("a", "Bar song"))
    event = await receive_event(ws, "player_state")
    assert event["data"]["room"] == "a"
    await ws.disconnect()
