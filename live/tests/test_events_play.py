"""A program end to end: it connects to /ws/events/ with its token, plays through the API on the real player
process (libvlc rendering to WAV files) and reads what happened as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from credits.models import CreditAction, CreditTransaction
from live.tests.sockets import connect_events
from live.tests.test_events_socket import validate
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def horn(sdb) -> Sound:
    media.tone(sdb / "horn.wav", 0.5, freq=500, gain_db=-3)
    scan()
    return Sound.objects.get(filename="horn.wav")


def play(sound: Sound, raw: str) -> dict[str, Any]:
    response = Client().post(f"/api/v1/sounds/play/{sound.pk}", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


async def events_until(ws: WebsocketCommunicator, done: Any, timeout: float = 10) -> list[dict[str, Any]]:
    """Every JSON event the socket reads until `done(events)` holds (or `timeout` passes: a failure)."""
    received: list[dict[str, Any]] = []
    while not done(received):
        frame = await ws.receive_output(timeout=timeout)
        assert frame["type"] == "websocket.send", frame
        received.append(json.loads(frame["text"]))
    return received


async def test_a_program_plays_through_the_api_and_reads_its_own_events_as_json(player_process, horn):
    ann = await sync_to_async(UserFactory.create)(name="Ann")
    bob = await sync_to_async(UserFactory.create)(name="Bob")
    _, ann_raw = await sync_to_async(ApiToken.issue)(user=ann, name="stream deck")
    _, bob_raw = await sync_to_async(ApiToken.issue)(user=bob, name="bot")
    ws, connected, _ = await connect_events(token=ann_raw, origin=None)
    assert connected
    wavs_before = len(player_process.wavs())

    # Bob plays first: everyone hears that he did, nobody but Bob hears about his credits.
    await sync_to_async(play)(horn, bob_raw)
    answer = await sync_to_async(play)(horn, ann_raw)
    assert answer["credits"] == 24

    def both_plays_seen(events: list[dict[str, Any]]) -> bool:
        played_by = {e["data"]["user"]["id"] for e in events if e["event"] == "sound_played"}
        return {ann.pk, bob.pk} <= played_by and any(e["event"] == "user_credits_changed" for e in events)

    events = await events_until(ws, both_plays_seen)
    for event in events:
        validate(event)

    credit_events = [e for e in events if e["event"] == "user_credits_changed"]
    debit = await CreditTransaction.objects.aget(user=ann, action=CreditAction.VLC_PLAY_SOUND)
    assert [e["data"] for e in credit_events] == [
        {
            "before": 25,
            "after": 24,
            "amount": -1,
            "action": "vlc_play_sound",
            "action_label": "Played a sound",
            "transaction_id": debit.pk,
        }
    ]
    ann_played = next(e for e in events if e["event"] == "sound_played" and e["data"]["user"]["id"] == ann.pk)
    assert ann_played["data"]["sound"]["id"] == horn.pk
    assert ann_played["data"]["sound"]["name"] == "Horn"
    assert ann_played["data"]["user"] == {"id": ann.pk, "name": "Ann"}
    assert ann_played["data"]["room"] == "main"
    assert ann_played["data"]["source"] == "api"
    assert ann_played["data"]["playback_id"] == answer["playback_id"]

    # The clips really played (two WAV files), and nothing more reaches the program: no credit event of
    # Bob's, late or not.
    assert len(player_process.wavs()) >= wavs_before + 2
    while not await ws.receive_nothing(timeout=0.5):
        late = json.loads((await ws.receive_output())["text"])
        assert late["event"] != "user_credits_changed", late
    await ws.disconnect()
