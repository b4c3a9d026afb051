"""Issue 13: instant play latency with one room's player online against three (`python -m benchmarks rooms`).

Against `running_app()` and real `manage.py run_player --room …` processes (`--output none`: silent, timing
real). The same user plays the same short tone to room `main`, 100 times in a row, first with main's player
alone, then with the players of rooms `r2` and `r3` running too; then the plays go round the three rooms. Each
room's daemon reads only its own channel, so the figures should agree within noise.
"""

from __future__ import annotations

import http.client
import time
from contextlib import ExitStack

from benchmarks.bench_play import TONE_SECONDS, player, prepare
from benchmarks.harness import App, percentile, running_app, summary

EMAIL = "bench-rooms@example.com"
PLAYS = 100
WARMUP = 10
GAP_S = 0.1  # after each answer, as in the play benchmark: a few clips overlap at most in one room


def measure(app: App, sound_id: int, token: str, rooms: list[str]) -> tuple[list[float], dict[int, int]]:
    """Sequential plays, round-robin over `rooms`: each one's time from POST to the 200 (first audio out)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Length": "0"}
    conn = http.client.HTTPConnection(app.host, app.port, timeout=30)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    try:
        for i in range(WARMUP + PLAYS):
            room = rooms[i % len(rooms)]
            start = time.perf_counter()
            conn.request("POST", f"/api/v1/sounds/play/{sound_id}?room={room}", body=b"", headers=headers)
            response = conn.getresponse()
            body = response.read()
            ms = (time.perf_counter() - start) * 1000
            if i >= WARMUP:
                latencies.append(ms)
                statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status != 200 and statuses.get(response.status, 0) <= 3:
                print(f"  play {i} to {room}: {response.status} {body[:200]!r}", flush=True)
            time.sleep(GAP_S)
    finally:
        conn.close()
    time.sleep(TONE_SECONDS + 0.3)  # the last clips end before anything stops
    return latencies, statuses


def main() -> None:
    started = time.perf_counter()
    with running_app(extra_env={"PLAY_RATE_LIMIT": "100000/1s"}) as app:
        setup = prepare(app, [EMAIL])
        token = setup.tokens[EMAIL]
        results: dict[str, tuple[list[float], dict[int, int]]] = {}
        with player(app, "none", room="main"):
            results["one room online, plays to main"] = measure(app, setup.sound_id, token, ["main"])
            with ExitStack() as others:
                for room in ("r2", "r3"):
                    others.enter_context(player(app, "none", room=room))
                results["three rooms online, plays to main"] = measure(app, setup.sound_id, token, ["main"])
                results["three rooms online, plays round main, r2, r3"] = measure(
                    app, setup.sound_id, token, ["main", "r2", "r3"]
                )
        print(f"play latency, POST /api/v1/sounds/play?room=… -> 200 after first audio, {PLAYS} plays each:")
        for label, (latencies, statuses) in results.items():
            print(f"  {label}: {summary(latencies)}; statuses={statuses}", flush=True)
        one = percentile(results["one room online, plays to main"][0], 50)
        three = percentile(results["three rooms online, plays to main"][0], 50)
        print(f"  p50 three rooms / one room: {three / one:.2f}x (the same within noise is the target)", flush=True)
    print(f"(rooms benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
