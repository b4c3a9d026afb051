"""Issue 15, target 1, and issue 16's benchmark: how fast and how big the signed-in board is.

`python -m benchmarks board_speed` (and `make bench`). The library of `benchmarks board`: 5,000 sounds, 500 of them
the measured user's favourites, 200 tags; the board shows 60 cards. One daphne process, started with the
Procfile's command line; the load comes from wrk (Debian's package; `make setup` installs it), which is light
enough not to take the server's CPU on a 2-core machine.

In ROUNDS rounds, each figure is measured again, so its spread shows (min / median / max of the rounds):
- throughput at 16 connections: the board page, and a static file from the same daphne right before it (the
  server's own floor, measured side by side): the page should reach at least half the static file's rate;
- server time p50 (the app's own time from request to answer: its Server-Timing stages, core.timing): the page
  at most 4 ms, a search partial over the 5,000 sounds at most 2 ms; with the client's round trip beside it;
- issue 16: the page's and the search partial's round trip p50, no worse than 35 ms and 27 ms;
- bytes of HTML per card: about 1 KB at most.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.bench_board import BOARD_DETAILS, FAVORITES, TAGS
from benchmarks.bench_sounds import ADJECTIVES, INSERT_SOUNDS, LIBRARY_SOUNDS, NOUNS, SEARCH_WORD
from benchmarks.harness import App, percentile, running_app

ROUNDS = 5
LOAD_SECONDS = 4
CONNECTIONS = 16
SEQUENTIAL = 100  # requests per round for the server-time figures
STATIC_FILE = "js/theme.js"  # a small file: the hardest floor to keep up with

RATIO_TARGET = 0.5
PAGE_SERVER_MS = 4.0
SEARCH_SERVER_MS = 2.0
PAGE_ROUND_TRIP_MS = 35.0  # issue 16
SEARCH_ROUND_TRIP_MS = 27.0
CARD_BYTES = 1024


@dataclass
class Figures:
    """One figure's value in each round."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def line(self, name: str, unit: str, target: float, at_least: bool = False, scale: float = 1.0) -> str:
        found = [v * scale for v in self.values[name]]
        low, mid, high = min(found), statistics.median(found), max(found)
        ok = mid >= target * scale if at_least else mid <= target * scale
        word = ">=" if at_least else "<="
        return (
            f"{name}: median {mid:.1f}{unit} (min {low:.1f}, max {high:.1f} over {len(found)} rounds); "
            f"target {word} {target * scale:g}{unit}: {'ok' if ok else 'MISSED'}"
        )


def _wrk(app: App, path: str, cookie: str) -> tuple[float, int]:
    """Requests per second at CONNECTIONS connections for LOAD_SECONDS, and how many answers were not 2xx/3xx."""
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{LOAD_SECONDS}s", "-H", f"Cookie: {cookie}", f"{app.url}{path}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if rate is None:
        raise RuntimeError(f"wrk said: {out}")
    return float(rate.group(1)), int(bad.group(1)) if bad else 0


def _sequential(app: App, path: str, headers: dict[str, str], n: int) -> tuple[list[float], list[float], bytes]:
    """n requests one after another on one connection: the app's own times (ms), the round trips (ms), a body."""
    conn = http.client.HTTPConnection(app.host, app.port, timeout=30)
    server: list[float] = []
    trips: list[float] = []
    body = b""
    try:
        for _ in range(n):
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            trips.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            # Its stages (core.timing) from the request's start to the answer: their durations add up to the whole.
            stages = re.findall(r";dur=([\d.]+)", response.getheader("Server-Timing") or "")
            if not stages:
                raise RuntimeError("no Server-Timing header: is SERVER_TIMING on?")
            server.append(sum(map(float, stages)))
    finally:
        conn.close()
    return server, trips, body


def _cards(body: bytes) -> list[bytes]:
    return re.findall(rb"<article class=\"sound-card.*?</article>", body, re.S)


def _static_path(app: App) -> str:
    code = f"from django.templatetags.static import static; print(static({STATIC_FILE!r}))"
    return app.manage("shell", "-c", code).strip().splitlines()[-1]


def _round(app: App, cookie: str, static: str, figures: Figures) -> None:
    page = {"Cookie": cookie}
    search = {"Cookie": cookie, "HX-Request": "true"}
    static_rate, static_bad = _wrk(app, static, cookie)
    page_rate, page_bad = _wrk(app, "/", cookie)
    if static_bad or page_bad:
        raise RuntimeError(f"answers that were not 2xx/3xx: static {static_bad}, page {page_bad}")
    figures.add("static file req/s", static_rate)
    figures.add("board page req/s", page_rate)
    figures.add("board page / static file", page_rate / static_rate)
    for label, path, headers in (("page", "/", page), ("search partial", f"/?q={SEARCH_WORD}", search)):
        server, trips, _ = _sequential(app, path, headers, SEQUENTIAL)
        figures.add(f"{label} server time p50", percentile(server, 50))
        figures.add(f"{label} round trip p50", percentile(trips, 50))


def _report(lines: Sequence[str]) -> None:
    for line in lines:
        print(f"  {line}", flush=True)


def bench_board_speed(app: App) -> None:
    code = INSERT_SOUNDS.format(adjectives=ADJECTIVES, nouns=NOUNS, total=LIBRARY_SOUNDS, word=SEARCH_WORD)
    total, matching = app.manage("shell", "-c", code).split()[-2:]
    email = "bench-speed@example.com"
    cookie = f"sessionid={app.session_for(email)}"
    app.manage("shell", "-c", BOARD_DETAILS.format(tags=TAGS, favorites=FAVORITES, email=email))
    static = _static_path(app)
    # Warm-up: templates, connections, the cards' fragments.
    _sequential(app, "/", {"Cookie": cookie}, 20)
    _sequential(app, f"/?q={SEARCH_WORD}", {"Cookie": cookie, "HX-Request": "true"}, 20)
    _, _, body = _sequential(app, "/", {"Cookie": cookie}, 1)
    _, _, partial = _sequential(app, f"/?q={SEARCH_WORD}", {"Cookie": cookie, "HX-Request": "true"}, 1)
    cards = _cards(body)
    load = os.getloadavg()[0]
    print(
        f"board speed: {total} sounds ({matching} match '{SEARCH_WORD}'), {FAVORITES} favourites, {TAGS} tags; "
        f"page {len(body) // 1024} KB with {len(cards)} cards, search partial {len(partial) // 1024} KB with "
        f"{len(_cards(partial))} cards; static file {static}; {ROUNDS} rounds; load average {load:.1f} at the start",
        flush=True,
    )
    figures = Figures()
    for _ in range(ROUNDS):
        _round(app, cookie, static, figures)
    per_card = sum(map(len, cards)) / len(cards)
    page_rate, static_rate = (statistics.median(figures.values[k]) for k in ("board page req/s", "static file req/s"))
    _report(
        [
            figures.line("board page / static file", " %", RATIO_TARGET, at_least=True, scale=100),
            f"(medians at {CONNECTIONS} connections: board page {page_rate:.0f} req/s, "
            f"static file {static_rate:.0f} req/s)",
            figures.line("page server time p50", " ms", PAGE_SERVER_MS),
            figures.line("search partial server time p50", " ms", SEARCH_SERVER_MS),
            figures.line("page round trip p50", " ms", PAGE_ROUND_TRIP_MS),
            figures.line("search partial round trip p50", " ms", SEARCH_ROUND_TRIP_MS),
            f"HTML per card: {per_card:.0f} B on average, {max(map(len, cards))} B the largest "
            f"(target about {CARD_BYTES} B: {'ok' if per_card <= CARD_BYTES * 1.1 else 'MISSED'})",
        ]
    )


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make setup` installs it (Debian's wrk package).")
    started = time.perf_counter()
    with running_app({"SERVER_TIMING": "true"}) as app:
        bench_board_speed(app)
    print(f"(board speed benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
