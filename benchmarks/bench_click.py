"""Issue 15, target 2: the click. HTTP POST -> the first audio samples at the player's output, stage by stage.

A real daphne (`running_app()`, the Procfile's command line) with `SERVER_TIMING` on, a real
`manage.py run_player --output file:DIR`, and a user clicking through the JSON API with a token (one round with a
session cookie and CSRF, as the board page sends it). Each play's stages come from stamps the code takes as it
goes (`core.timing`: the web's own and the player daemon's, carried back in its answer) on the host's
CLOCK_MONOTONIC, the clock this process reads too, so the client's send and receive line up with them. The
click's end is when libvlc hands the first decoded samples to the output (the daemon's audio callback); the
"lead" after it is how far ahead of their presentation time libvlc delivered them.

Prints p50/p95 per stage and overall for each round, then the spread of the rounds' p50 and p95.
"""

from __future__ import annotations

import http.client
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_play import TONE_SECONDS, Setup, player, prepare
from benchmarks.harness import App, percentile, running_app

EMAIL = "bench-click@example.com"
ROUNDS = 5
PLAYS = 40
WARMUP = 5
GAP_S = TONE_SECONDS + 0.2  # a lone click in a quiet room: every play starts after the last one ended
TARGET_P50_MS, TARGET_P95_MS = 12.0, 25.0

# (label, from stamp, to stamp): the budget of one click, in the order the stages happen.
STAGES = [
    ("to Django", "click", "start"),  # daphne reading the request, the ASGI app up to the first middleware
    ("auth", "start", "auth"),  # the middleware chain, the hop to the view's thread, the token or session
    ("room+sound", "auth", "lookup"),
    ("quiet hours", "lookup", "quiet"),
    ("rate limit", "quiet", "ratelimit"),
    ("online?", "ratelimit", "online"),
    ("cooldown", "online", "cooldown"),
    ("debit", "cooldown", "debit"),
    ("hop to player", "debit", "player_receive"),  # to the event loop, the channel layer, the daemon's read
    ("libvlc open", "player_receive", "player_open"),
    ("first samples", "player_open", "player_first_samples"),
    ("answer", "player_first_samples", "answered"),  # daemon reply -> web -> HTTP answer read by the client
]
CLICK = ("CLICK: POST -> first samples", "click", "player_first_samples")
EXTRA = [
    ("  (send returned)", "debit", "send"),  # the daemon may have read the command before the send returns
    ("  (HTTP round trip)", "click", "answered"),
    ("  (lead: samples due after)", "player_first_samples", "player_due"),
]


def parse_server_timing(value: str) -> dict[str, float]:
    """The stamps a `Server-Timing` header (core.timing.header) stands for, absolute, in seconds."""
    clock = 0.0
    durations: list[tuple[str, float]] = []
    for part in value.split(","):
        name, _, rest = part.strip().partition(";")
        if name == "clock":
            clock = float(rest.split("=", 1)[1].strip('"'))
        else:
            durations.append((name, float(rest.split("=", 1)[1]) / 1000))
    stamps = {"start": clock}
    at = clock
    for name, dur in durations:
        at += dur
        stamps[name] = at
    return stamps


@dataclass
class Round:
    label: str
    stamps: list[dict[str, float]] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)

    def stage_ms(self, start: str, end: str) -> list[float]:
        return [(s[end] - s[start]) * 1000 for s in self.stamps if start in s and end in s]


def _session_headers(app: App, email: str) -> dict[str, str]:
    session = app.session_for(email)
    csrf = "b" * 32
    return {
        "Cookie": f"sessionid={session}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Origin": f"http://{app.host}:{app.port}",
        "Referer": f"http://{app.host}:{app.port}/",
    }


def run_round(app: App, setup: Setup, label: str, headers: dict[str, str]) -> Round:
    path = f"/api/v1/sounds/play/{setup.sound_id}"
    result = Round(label)
    conn = http.client.HTTPConnection(app.host, app.port, timeout=30)
    try:
        for i in range(WARMUP + PLAYS):
            click = time.monotonic()
            conn.request("POST", path, body=b"", headers={**headers, "Content-Length": "0"})
            response = conn.getresponse()
            body = response.read()
            answered = time.monotonic()
            if response.status != 200:
                result.failures[response.status] = result.failures.get(response.status, 0) + 1
                if result.failures[response.status] <= 2:
                    print(f"  {label} play {i}: {response.status} {body[:200]!r}", flush=True)
            elif i >= WARMUP:
                stamps = parse_server_timing(response.getheader("Server-Timing") or "")
                stamps.update(click=click, answered=answered)
                result.stamps.append(stamps)
            time.sleep(GAP_S)
    finally:
        conn.close()
    return result


def _line(label: str, values: list[float], *, target: bool = False) -> str:
    if not values:
        return f"  {label:<32} (no stamps)"
    p50, p95 = percentile(values, 50), percentile(values, 95)
    verdict = ""
    if target:
        ok = p50 <= TARGET_P50_MS and p95 <= TARGET_P95_MS
        verdict = f"   target p50 <= {TARGET_P50_MS:.0f}, p95 <= {TARGET_P95_MS:.0f}: {'MET' if ok else 'not met'}"
    return f"  {label:<32} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {max(values):6.2f} ms{verdict}"


def report(rounds: list[Round]) -> None:
    for r in rounds:
        print(f"round {r.label}: {len(r.stamps)} plays" + (f", failures {r.failures}" if r.failures else ""))
        for label, start, end in STAGES:
            print(_line(label, r.stage_ms(start, end)))
        print(_line(CLICK[0], r.stage_ms(CLICK[1], CLICK[2]), target=True))
        for label, start, end in EXTRA:
            print(_line(label, r.stage_ms(start, end)))
    print(f"spread over {len(rounds)} rounds (min .. median .. max of each round's p50 / p95):", flush=True)
    for label, start, end in [*STAGES, CLICK, *EXTRA]:
        p50s = [percentile(r.stage_ms(start, end), 50) for r in rounds]
        p95s = [percentile(r.stage_ms(start, end), 95) for r in rounds]
        print(
            f"  {label:<32} p50 {min(p50s):6.2f} .. {statistics.median(p50s):6.2f} .. {max(p50s):6.2f}   "
            f"p95 {min(p95s):6.2f} .. {statistics.median(p95s):6.2f} .. {max(p95s):6.2f}",
            flush=True,
        )
    every = [v for r in rounds for v in r.stage_ms(CLICK[1], CLICK[2])]
    print(_line(f"ALL {len(every)} CLICKS", every, target=True), flush=True)


def check_rendered(out_dir: Path, expected: int) -> None:
    wavs = sorted(out_dir.glob("*.wav"))
    silent = [w for w in wavs if w.stat().st_size <= 44]
    print(f"rendered WAV files: {len(wavs)} for {expected} plays ({len(silent)} without audio)", flush=True)


def main() -> None:
    started = time.perf_counter()
    with running_app(extra_env={"PLAY_RATE_LIMIT": "100000/1s", "SERVER_TIMING": "true"}) as app:
        setup = prepare(app, [EMAIL])
        token = {"Authorization": f"Bearer {setup.tokens[EMAIL]}"}
        out_dir = app.workdir / "rendered-click"
        with player(app, f"file:{out_dir}") as proc:
            rounds = [run_round(app, setup, f"token #{n + 1}", token) for n in range(ROUNDS - 1)]
            rounds.append(run_round(app, setup, "session", _session_headers(app, EMAIL)))
            time.sleep(TONE_SECONDS + 0.3)  # the last playback ends before the player stops
            problems = proc.log_problems()
        report(rounds)
        check_rendered(out_dir, ROUNDS * (WARMUP + PLAYS))
        for line in problems[:5]:
            print(f"  player log: {line[:300]}", flush=True)
    print(f"(click benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
