"""Issue 2: the signed-in home page under 16 concurrent clients, and live fan-out to 200 websockets."""

from __future__ import annotations

import asyncio
import time

import websockets

from benchmarks.harness import App, percentile, running_app, summary
from benchmarks.http_load import run_load


def bench_home_page(app: App) -> None:
    cookie = f"sessionid={app.session_for('bench-home@example.com')}"
    run_load(app.host, app.port, "/", cookie=cookie, clients=4, seconds=2)  # warm-up
    result = run_load(app.host, app.port, "/", cookie=cookie, clients=16, seconds=10)
    print(
        f"home page, 16 clients x 10 s: {result.rps:.0f} req/s, p50={percentile(result.latencies_ms, 50):.1f} ms "
        f"p99={percentile(result.latencies_ms, 99):.1f} ms, statuses={result.statuses}"
    )


async def _fan_out(app: App, clients: int, rounds: int) -> list[float]:
    cookie = f"sessionid={app.session_for('bench-fanout@example.com')}"
    headers = {"Cookie": cookie, "Origin": app.url}
    url = f"ws://127.0.0.1:{app.port}/ws/live/"
    sockets = []
    for _ in range(clients):
        sockets.append(await websockets.connect(url, additional_headers=headers, max_queue=None))
    from live import events
    from live.contexts import Toast

    latencies: list[float] = []

    async def collect(ws: websockets.ClientConnection, marker: str) -> float:
        while True:
            frame = await asyncio.wait_for(ws.recv(), timeout=10)
            if marker in frame:
                return time.perf_counter()

    for i in range(rounds):
        marker = f"bench-round-{i}-"
        waiters = [asyncio.create_task(collect(ws, marker)) for ws in sockets]
        await asyncio.sleep(0.05)  # let every waiter reach recv() before the clock starts
        sent = time.perf_counter()
        await events.abroadcast(Toast(message=marker))
        received = await asyncio.gather(*waiters)
        latencies.extend((r - sent) * 1000 for r in received)
    for ws in sockets:
        await ws.close()
    return latencies


def bench_fan_out(app: App, clients: int = 200, rounds: int = 20) -> None:
    import os

    import django

    os.environ.update({k: app.env[k] for k in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY", "TESTING", "VAR_DIR")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soundboard.settings")
    django.setup()
    latencies = asyncio.run(_fan_out(app, clients, rounds))
    print(
        f"live fan-out, one event to {clients} websockets x {rounds} rounds: {summary(latencies)} (target p99 < 250 ms)"
    )


def main() -> None:
    with running_app() as app:
        bench_home_page(app)
        bench_fan_out(app)


if __name__ == "__main__":
    main()
