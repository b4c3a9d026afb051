"""Issue 15, target 4: the crowd, on the cluster of the cluster tests (two daphne, two workers, a player).

1. **Fan-out.** 1,000 page sockets (`/ws/live/`, signed in, five tabs for each of 200 people) split over the two
   web processes. One play is posted; the time from the POST to the moment each socket holds the play's
   `sound_played` fragment is one sample per socket. Several plays in turn, one at a time; target p99 < 250 ms.
2. **The crowd.** 200 people, each with one page socket open, clicking (the JSON API's play) every 5-20 s for
   60 s through their web process; target: no 5xx and play p99 < 150 ms (POST to answer, which comes after
   the player started the sound).

The client is one asyncio process (websockets, httpx): it reads every frame of every socket, so a slow
server shows up as late frames, not as frames left unread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

from benchmarks.harness import percentile, summary
from tests.cluster.harness import Cluster, postgres_answers, running_cluster

PEOPLE = 200
TABS = 5  # sockets per person in the fan-out: 1,000 in all
FANOUT_PLAYS = int(os.environ.get("BENCH_CROWD_FANOUT_PLAYS", "8"))
CROWD_SECONDS = float(os.environ.get("BENCH_CROWD_SECONDS", "60"))
THINK_S = (5.0, 20.0)
FANOUT_TARGET_MS = 250.0
PLAY_TARGET_MS = 150.0
CREDITS = 10_000

PEOPLE_CODE = """
import json
from django.test import Client
from accounts.models import ApiToken, User
from credits.services import adjust
rows = []
for i in range({people}):
    u = User(email=f"crowd{{i}}@example.com", name=f"Crowd {{i}}")
    u.set_unusable_password()  # create_user would hash a password {people} times
    u.save()
    adjust(user=u, amount={credits} - u.credits, reason="benchmark")
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(u)
    rows.append((u.pk, ApiToken.issue(user=u, name="bench")[1], c.cookies["sessionid"].value))
print(json.dumps(rows))
"""


@dataclass
class Person:
    pk: int
    token: str
    cookie: str
    web: str


@dataclass
class Sockets:
    """Every open page socket, and when each first held the fragment of the play being watched."""

    marker: str = ""  # what the fragment of the watched play contains ("": nothing is watched)
    trial: int = 0  # which play is watched: each socket records its first fragment per trial
    arrivals: list[float] = field(default_factory=list)
    frames: int = 0
    closed: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0

    async def read(self, ws: websockets.ClientConnection) -> None:
        recorded = 0
        try:
            async for frame in ws:
                self.frames += 1
                if self.marker and recorded < self.trial and self.marker in str(frame):
                    recorded = self.trial
                    self.arrivals.append(time.perf_counter())
                    if len(self.arrivals) >= self.expected:
                        self.arrived.set()
        except websockets.ConnectionClosed:
            pass
        self.closed += 1


def _people(cluster: Cluster) -> list[Person]:
    rows = json.loads(cluster.shell(PEOPLE_CODE.format(people=PEOPLE, credits=CREDITS)))
    return [Person(int(pk), token, cookie, "ab"[i % 2]) for i, (pk, token, cookie) in enumerate(rows)]


async def _open(cluster: Cluster, person: Person, web: str, sockets: Sockets) -> websockets.ClientConnection:
    url = cluster.urls[web]
    ws = await websockets.connect(
        url.replace("http://", "ws://") + "/ws/live/",
        additional_headers={"Cookie": f"sessionid={person.cookie}", "Origin": url},
        max_queue=None,
        open_timeout=60,
    )
    asyncio.get_running_loop().create_task(sockets.read(ws))
    return ws


async def _open_many(cluster: Cluster, pairs: list[tuple[Person, str]], sockets: Sockets) -> list:
    gate = asyncio.Semaphore(5)  # a crowd arriving, not 1,000 handshakes in the same millisecond
    failures: list[str] = []

    async def one(person: Person, web: str) -> websockets.ClientConnection:
        async with gate:
            for attempt in range(3):  # as a page's socket does: it reconnects
                try:
                    return await _open(cluster, person, web, sockets)
                except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
                    failures.append(type(exc).__name__)
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    opened = list(await asyncio.gather(*(one(p, w) for p, w in pairs)))
    if failures:
        print(f"  {len(failures)} handshakes failed and were retried: {sorted(set(failures))}", flush=True)
    return opened


async def _settle(sockets: Sockets) -> None:
    """Wait until the presence updates of all those arrivals have been delivered (frames stop coming)."""
    last = -1
    while sockets.frames != last:
        last = sockets.frames
        await asyncio.sleep(1.0)


async def _play(client: httpx.AsyncClient, cluster: Cluster, person: Person, sound_id: int) -> tuple[int, float, str]:
    start = time.perf_counter()
    try:
        response = await client.post(
            f"{cluster.urls[person.web]}/api/v1/sounds/play/{sound_id}",
            headers={"Authorization": f"Bearer {person.token}"},
        )
    except httpx.HTTPError:
        return 0, (time.perf_counter() - start) * 1000, ""
    took = (time.perf_counter() - start) * 1000
    playback = response.json().get("playback_id", "") if response.status_code == 200 else ""
    return response.status_code, took, playback


async def fanout(cluster: Cluster, people: list[Person]) -> list[float]:
    sockets = Sockets()
    # Everyone's first tab, then everyone's second...: people arrive, then open more tabs (each arrival changes
    # the online count, and each change is an event to every socket already open).
    pairs = [(person, "ab"[(i + tab) % 2]) for tab in range(TABS) for i, person in enumerate(people)]
    opened = time.perf_counter()
    conns = await _open_many(cluster, pairs, sockets)
    print(f"fan-out: {len(conns)} page sockets open in {time.perf_counter() - opened:.1f} s", flush=True)
    await _settle(sockets)
    samples: list[float] = []
    per_play_p99: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for n in range(FANOUT_PLAYS):
            person = people[n % len(people)]
            sockets.arrivals, sockets.expected, sockets.trial = [], len(conns), n + 1
            sockets.arrived.clear()
            # The fragment names the playback, which only the answer tells: watch for the sound's live marker,
            # unique to sound_played, and take each socket's first after the POST.
            sockets.marker = f'id="sound-{cluster.sound_id}-live"'
            start = time.perf_counter()
            status, took, _ = await _play(client, cluster, person, cluster.sound_id)
            with contextlib.suppress(TimeoutError):  # the line below says how many sockets got it
                await asyncio.wait_for(sockets.arrived.wait(), timeout=10)
            sockets.marker = ""
            ms = [(t - start) * 1000 for t in sockets.arrivals]
            samples += ms
            per_play_p99.append(percentile(ms, 99))
            print(
                f"  play {n + 1}: status {status}, answered in {took:.0f} ms; fragment on {len(ms)}/{len(conns)} "
                f"sockets, p50 {percentile(ms, 50):.0f} ms p99 {percentile(ms, 99):.0f} ms "
                f"max {max(ms, default=0):.0f} ms",
                flush=True,
            )
            await _settle(sockets)  # the play's other updates (player state, credits) before the next
    for ws in conns:
        await ws.close()
    print(
        f"fan-out, one event to {len(conns)} sockets across 2 web processes: {summary(samples)}; "
        f"p99 {percentile(samples, 99):.0f} ms (target < {FANOUT_TARGET_MS:.0f} ms) "
        f"{'ok' if percentile(samples, 99) < FANOUT_TARGET_MS else 'MISSED'}; spread of the per-play p99: "
        f"{min(per_play_p99):.0f}-{max(per_play_p99):.0f} ms",
        flush=True,
    )
    return samples


async def crowd(cluster: Cluster, people: list[Person]) -> None:
    sockets = Sockets()
    conns = await _open_many(cluster, [(p, p.web) for p in people], sockets)
    await _settle(sockets)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = time.perf_counter() + CROWD_SECONDS
    limits = httpx.Limits(max_connections=PEOPLE * 2, max_keepalive_connections=PEOPLE * 2)

    async def person_clicks(index: int, person: Person, client: httpx.AsyncClient) -> None:
        rng = random.Random(index)
        while True:
            await asyncio.sleep(rng.uniform(*THINK_S))  # a person's pause between clicks, not a synchronisation
            if time.perf_counter() >= stop_at:
                return
            status, took, _ = await _play(client, cluster, person, cluster.sound_id)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(took)

    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(person_clicks(i, p, client) for i, p in enumerate(people)))
    took = time.perf_counter() - began
    for ws in conns:
        await ws.close()
    errors = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
    p99 = percentile(latencies, 99)
    print(
        f"crowd, {PEOPLE} people with a socket each, clicking every {THINK_S[0]:.0f}-{THINK_S[1]:.0f} s for "
        f"{CROWD_SECONDS:.0f} s on PostgreSQL: {sum(statuses.values()) / took:.1f} clicks/s, "
        f"statuses {dict(sorted(statuses.items()))}, 5xx or no answer: {errors} (target 0); "
        f"play {summary(latencies)}; p99 {p99:.0f} ms (target < {PLAY_TARGET_MS:.0f} ms) "
        f"{'ok' if p99 < PLAY_TARGET_MS and errors == 0 else 'MISSED'}; {sockets.frames} frames to the sockets",
        flush=True,
    )


def main() -> None:
    if not postgres_answers():
        print("crowd benchmark SKIPPED: it needs PostgreSQL on 127.0.0.1:5432")
        return
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="soundboard-crowd-bench-"))
    with running_cluster(workdir, {"LOG_LEVEL": "WARNING"}) as cluster:
        people = _people(cluster)
        asyncio.run(fanout(cluster, people))
        asyncio.run(crowd(cluster, people))
    print(f"(crowd benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
