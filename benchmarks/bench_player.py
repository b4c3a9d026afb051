"""Issue 5: a music-player command to the new state in a websocket client, and one state update fanned out
to 200 connected browsers. Against `running_app()` (daphne) and a real `manage.py run_player`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request

import websockets

from benchmarks.harness import ROOT, App, running_app, summary

SETUP = """
import json
from accounts.models import ApiToken, User
from playlists import services
from sounds.tests import media
from sounds.scanner import scan
from django.conf import settings
from pathlib import Path
root = Path(settings.SOUNDS_ROOT) / "originals" / "soundboard"
root.mkdir(parents=True, exist_ok=True)
media.tone(root / "bed.wav", 120.0, freq=220)
scan()
email = "bench-dj@example.com"
u = User.objects.filter(email=email).first() or User.objects.create_user(email, "x-pass-123")
User.objects.filter(pk=u.pk).update(credits=100000)
p = services.create_playlist(owner=u, name="Bench")
from sounds.models import Sound
services.add_sound(playlist=p, sound_id=Sound.objects.get(filename="bed.wav").pk)
print(json.dumps({"token": ApiToken.issue(user=u, name="bench")[1], "playlist": p.pk}))
"""


def _post(app: App, token: str, path: str, payload: dict[str, object]) -> int:
    request = urllib.request.Request(
        f"{app.url}/api/v1/player/{path}",
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _start_player(app: App) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_player", "--output", "none"],
        cwd=ROOT, env=app.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis.from_url(app.env["REDIS_URL"])
    deadline = time.monotonic() + 30
    while not client.exists("sb:player:main:heartbeat"):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("the player did not start")
        time.sleep(0.05)
    return proc


async def _measure(app: App, token: str, clients: int, rounds: int) -> list[float]:
    cookie = f"sessionid={app.session_for('bench-dj@example.com')}"
    headers = {"Cookie": cookie, "Origin": app.url}
    url = f"ws://127.0.0.1:{app.port}/ws/live/"
    sockets = [await websockets.connect(url, additional_headers=headers, max_queue=None) for _ in range(clients)]
    latencies: list[float] = []

    async def wait_for(ws: websockets.ClientConnection, marker: str) -> float:
        while True:
            frame = await asyncio.wait_for(ws.recv(), timeout=10)
            if marker in frame:
                return time.perf_counter()

    for i in range(rounds):
        volume = 30 + i % 40
        marker = f'value="{volume}" aria-label="Volume"'
        waiters = [asyncio.create_task(wait_for(ws, marker)) for ws in sockets]
        await asyncio.sleep(0.05)
        sent = time.perf_counter()
        status = await asyncio.to_thread(_post, app, token, "volume", {"volume": volume})
        assert status == 200
        received = await asyncio.gather(*waiters)
        latencies.extend((r - sent) * 1000 for r in received)
        await asyncio.sleep(0.1)
    for ws in sockets:
        await ws.close()
    return latencies


def main() -> None:
    # The benchmark sends commands back to back: the per-user command limit would measure itself.
    with running_app(extra_env={"PLAYER_COMMAND_RATE_LIMIT": "100000/1s"}) as app:
        player = _start_player(app)
        try:
            setup = json.loads(app.manage("shell", "-c", SETUP).strip().splitlines()[-1])
            token = setup["token"]
            _post(app, token, "playlist", {"playlist_id": setup["playlist"], "play": True})
            one = asyncio.run(_measure(app, token, clients=1, rounds=60))
            print(f"player command -> new state in a websocket client: {summary(one)} (target p50 < 50 ms)")
            many = asyncio.run(_measure(app, token, clients=200, rounds=15))
            print(f"one player state update to 200 websockets: {summary(many)} (target p99 < 250 ms)")
        finally:
            player.terminate()
            player.wait(timeout=20)


if __name__ == "__main__":
    main()
