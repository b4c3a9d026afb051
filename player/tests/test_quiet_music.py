"""Music playing when quiet hours begin pauses, through the real player process; staff may play on."""

from __future__ import annotations

import asyncio
from datetime import time

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from live.tests.sockets import connect
from player.models import QuietWindow
from playlists import services as playlists
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)


def long_playlist(owner, sdb):
    media.tone(sdb / "evening.wav", 8.0, freq=392, gain_db=-6)
    scan()
    playlist = playlists.create_playlist(owner=owner, name="Evening")
    playlists.add_sound(playlist=playlist, sound_id=Sound.objects.get(filename="evening.wav").pk)
    return playlist


def music(client: Client, path: str, payload: dict | None = None):
    return client.post(f"/api/v1/player/{path}", payload or {}, content_type="application/json")


async def frames_until(ws, needles: list[str], timeout: float) -> list[str]:
    """Every frame until each needle has been in one (in any order), within `timeout` in all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: list[str] = []
    while not all(any(n in f for f in seen) for n in needles):
        left = deadline - loop.time()
        assert left > 0, f"missing {[n for n in needles if not any(n in f for f in seen)]} after {timeout} s"
        seen.append(str((await ws.receive_output(timeout=left)).get("text", "")))
    return seen


async def test_music_pauses_as_quiet_hours_begin_and_the_bar_says_why(player_process, sdb):
    user = await sync_to_async(UserFactory.create)()
    boss = await sync_to_async(UserFactory.create)(is_staff=True)
    playlist = await sync_to_async(long_playlist)(user, sdb)
    clients = {}
    for who in (user, boss):
        clients[who.pk] = Client()
        await sync_to_async(clients[who.pk].force_login)(who)
    person, staff = clients[user.pk], clients[boss.pk]
    ws, _ = await connect(user)
    try:
        await sync_to_async(music)(person, "mode", {"mode": "single"})
        started = await sync_to_async(music)(person, "playlist", {"playlist_id": playlist.pk, "play": True})
        assert started.status_code == 200, started.content
        await frames_until(ws, ['data-testid="player-position">1.'], timeout=15)  # a second of music first

        # Staff add a window covering now: a quiet period begins while the music plays.
        today = timezone.localtime().weekday()
        await sync_to_async(QuietWindow.objects.create)(day=today, start=time(0), end=time(0), note="Exams")
        frames = await frames_until(ws, ['data-status="paused"', "Quiet hours: the music is paused until"], timeout=10)
        paused = next(f for f in frames if 'data-status="paused"' in f)
        assert "Paused for quiet hours, until" in paused  # the bar's clear state
        state = (await sync_to_async(person.get)("/api/v1/player/state")).json()
        assert state["status"] == "paused"

        # Everyone else cannot resume it (423, free); staff can, and their music is not paused again.
        refused = await sync_to_async(music)(person, "play")
        assert refused.status_code == 423
        resumed = await sync_to_async(music)(staff, "play")
        assert resumed.status_code == 200
        assert resumed.json()["status"] == "playing"
        frames = await frames_until(ws, ['data-status="stopped"'], timeout=20)  # played to its end
        assert not any('data-status="paused"' in f for f in frames)
    finally:
        await QuietWindow.objects.all().adelete()
        await ws.disconnect()


async def test_quiet_hours_that_begin_while_the_player_is_stopped_change_nothing(player_process, sdb):
    boss = await sync_to_async(UserFactory.create)(is_staff=True)
    playlist = await sync_to_async(long_playlist)(boss, sdb)
    staff = Client()
    await sync_to_async(staff.force_login)(boss)
    ws, _ = await connect(boss)
    try:
        await sync_to_async(music)(staff, "stop")
        today = timezone.localtime().weekday()
        await sync_to_async(QuietWindow.objects.create)(day=today, start=time(0), end=time(0))
        # Staff start music during quiet hours (their override): it plays to the end, never paused.
        await sync_to_async(music)(staff, "mode", {"mode": "single"})
        started = await sync_to_async(music)(staff, "playlist", {"playlist_id": playlist.pk, "play": True})
        assert started.status_code == 200, started.content
        await frames_until(ws, ['data-status="playing"'], timeout=10)
        frames = await frames_until(ws, ['data-status="stopped"'], timeout=20)
        assert not any('data-status="paused"' in f for f in frames)
    finally:
        await QuietWindow.objects.all().adelete()
        await ws.disconnect()
