"""What several chaos tests set up: users paid through the ledger, a playable sound, a socket on the web process."""

from __future__ import annotations

import time
from pathlib import Path

from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from accounts.models import ApiToken, User
from accounts.tests.factories import UserFactory
from credits.services import adjust
from sounds import audio
from sounds.models import Sound
from sounds.services import normalize_sound
from sounds.tests import media
from sounds.tests.factories import SoundFactory
from tests.chaos.harness import Stack


def funded_user(credits: int = 20) -> User:
    """A user whose whole balance came through the ledger, so the ledger must always sum to it."""
    user = UserFactory.create(credits=0)
    adjust(user=user, amount=credits, reason="chaos test")
    return user


def token_for(user: User) -> str:
    return ApiToken.issue(user=user, name="chaos")[1]


def new_sound(root: Path, name: str, seconds: float, freq: int = 440) -> Sound:
    """A sound just added to the library: its normalization is still to do."""
    original = media.tone(root / "originals" / "soundboard" / f"{name}.wav", seconds, freq=freq)
    return SoundFactory.create(
        name=name,
        filename=original.name,
        duration=int(seconds * 1000),
        size=original.stat().st_size,
        hash=audio.file_hash(original),
    )


def library_sound(root: Path, name: str, seconds: float, freq: int = 440) -> Sound:
    """A normalized sound in the library (normalized here, in the test process: no worker needed)."""
    sound = new_sound(root, name, seconds, freq)
    normalize_sound(sound=sound)
    return sound


def live_socket(stack: Stack, user: User) -> ClientConnection:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    url = stack.web_url.replace("http://", "ws://")
    return connect(f"{url}/ws/live/", additional_headers={"Cookie": f"sessionid={cookie}", "Origin": stack.web_url})


def frame_with(socket: ClientConnection, *needles: str, timeout: float = 10) -> str:
    """The first frame holding every needle; other frames (presence, balances) are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no frame with {needles} within {timeout} s"
        frame = str(socket.recv(timeout=left))
        if all(n in frame for n in needles):
            return frame


def heard_or_closed(socket: ClientConnection, *needles: str, timeout: float = 10) -> bool:
    """The socket delivers a frame with every needle, or is closed (its page then reconnects): not silent."""
    try:
        frame_with(socket, *needles, timeout=timeout)
    except ConnectionClosed:
        return True
    finally:
        socket.close()
    return True
