"""A program against the running app (daphne, the player process, a worker), as a Stream Deck plug-in or a
script would drive it: no browser, plain HTTP and a websocket client that sends no Origin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from accounts.tests.factories import PASSWORD
from live.tests.test_events_socket import validate
from sounds.tests import media
from tests.e2e.conftest import unique_email


def make_user(live_app: Any, email: str, name: str) -> None:
    live_app.shell(
        f"from accounts.models import User\nUser.objects.create_user({email!r}, {PASSWORD!r}, name={name!r})"
    )


def token_for(http: httpx.Client, email: str) -> str:
    response = http.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD, "name": "e2e program"})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def events_socket(live_app: Any, token: str) -> ClientConnection:
    url = live_app.url.replace("http://", "ws://") + "/ws/events/"
    return connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10)


def read_until(ws: ClientConnection, done: Any, timeout: float = 15) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while not done(received):
        received.append(json.loads(ws.recv(timeout=timeout)))
    return received


def drain_until_closed(ws: ClientConnection) -> None:
    """Read what is still on its way (none of it someone else's credits) until the server closes."""
    while True:
        late = json.loads(ws.recv(timeout=10))
        assert late["event"] != "user_credits_changed", late


def test_a_program_signs_in_plays_and_hears_its_events(live_app, tmp_path: Path):
    ann_email, bob_email = unique_email("program"), unique_email("other")
    make_user(live_app, ann_email, "Ann")
    make_user(live_app, bob_email, "Bob")
    with httpx.Client(base_url=live_app.url, timeout=30) as http:
        ann, bob = token_for(http, ann_email), token_for(http, bob_email)
        clip = media.tone(tmp_path / "Deck horn.wav", 0.5, freq=650)
        with clip.open("rb") as audio:
            uploaded = http.post(
                "/api/v1/sounds/upload",
                files={"file": ("Deck horn.wav", audio, "audio/wav")},
                headers={"Authorization": f"Bearer {ann}"},
            )
        assert uploaded.status_code == 201, uploaded.text
        sound_id = uploaded.json()["id"]
        wavs_before = len(list(live_app.audio_dir.glob("*.wav")))

        with events_socket(live_app, ann) as ws:
            bob_play = http.post(f"/api/v1/sounds/play/{sound_id}", headers={"Authorization": f"Bearer {bob}"})
            assert bob_play.status_code == 200, bob_play.text
            ann_play = http.post(f"/api/v1/sounds/play/{sound_id}", headers={"Authorization": f"Bearer {ann}"})
            assert ann_play.status_code == 200, ann_play.text

            def done(events: list[dict[str, Any]]) -> bool:
                names = [e["data"]["user"]["name"] for e in events if e["event"] == "sound_played"]
                return {"Ann", "Bob"} <= set(names) and any(e["event"] == "user_credits_changed" for e in events)

            events = read_until(ws, done)
            for event in events:
                validate(event)
            credits = [e["data"] for e in events if e["event"] == "user_credits_changed"]
            assert [(c["before"], c["after"], c["action"]) for c in credits] == [(25, 24, "vlc_play_sound")]
            mine = next(
                e["data"] for e in events if e["event"] == "sound_played" and e["data"]["user"]["name"] == "Ann"
            )
            assert (mine["sound"]["id"], mine["sound"]["name"], mine["room"]) == (sound_id, "Deck horn", "main")
            assert mine["playback_id"] == ann_play.json()["playback_id"]
            assert len(list(live_app.audio_dir.glob("*.wav"))) >= wavs_before + 2

            # Signing out with the token closes this socket: 4401, sign in again.
            assert http.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {ann}"}).status_code == 204
            with pytest.raises(ConnectionClosed) as closed:
                drain_until_closed(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401

        # The revoked token no longer opens the socket; a foreign page can't open it with a valid one.
        with pytest.raises(InvalidStatus) as refused:
            events_socket(live_app, ann)
        assert refused.value.response.status_code == 403
        url = live_app.url.replace("http://", "ws://") + "/ws/events/"
        foreign = Origin("https://evil.example")
        with pytest.raises(InvalidStatus):
            connect(url, additional_headers={"Authorization": f"Bearer {bob}"}, origin=foreign)
