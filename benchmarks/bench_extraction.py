"""Extraction: submit latency while two extractions run, and link -> normalized sound against a plain `yt-dlp -x`.

Everything stays on this machine: a small threaded HTTP server on 127.0.0.1 serves generated media (direct links,
taken by yt-dlp's generic extractor, switched on for the benchmark only), and a real Celery worker on the
`extraction` queue (the Procfile's extractor line, `-c 2`) does the work with the app's environment.

1. Submit latency: one user keeps two extractions downloading from a route that trickles its file out; a second
   user then submits jobs one after another whose link answers 404 (they queue behind the two slow jobs, then
   fail and are refunded quickly once the slow ones are let go). Only the POST's answer time is measured.
2. End to end, 3-minute files: ours (POST, then GET every 50 ms until completed: download, conversion to mp3 256k,
   storing, loudness normalization) against `yt-dlp -x --audio-format mp3 --audio-quality 256K` of the same link.
   Each of our runs uses a different file, since the same audio twice would be recognized as a duplicate.
   The source is AAC in .m4a, so both sides really convert to MP3 (yt-dlp leaves an .mp3 source as it is).
"""

from __future__ import annotations

import http.client
import http.server
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.harness import ROOT, App, running_app, summary

EXTRA_ENV = {
    "EXTRACTION_ALLOW_GENERIC": "true",
    "EXTRACTION_ALLOWED_PRIVATE_IPS": "127.0.0.1",
    "EXTRACTION_RATE_PER_MINUTE": "100000",
    "EXTRACTION_MAX_ACTIVE_PER_USER": "100000",
}
USER_CREDITS = 1_000_000
EXTRACTION_COST = 5  # CREDIT_COST_EXTRACTION's default, which the benchmark leaves alone
RUNNER_EMAIL = "bench-extract-runner@example.com"  # keeps two extractions running
SUBMITTER_EMAIL = "bench-extract-submitter@example.com"  # the measured submits
E2E_EMAIL = "bench-extract-e2e@example.com"
SUBMITS = 100
SUBMIT_WARMUP = 5
SLOW_JOBS = 2
SLOW_SECONDS = 20.0  # length of the trickled files: short, so their conversion after release is cheap
SLOW_CHUNK = 512  # bytes every SLOW_TICK_S until released (~5 KB/s: a 20 s AAC file would take a minute)
SLOW_TICK_S = 0.1
E2E_SECONDS = 180.0
E2E_RUNS = 3
SOURCE_BITRATE = "160k"
POLL_S = 0.05
WORKER_START_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 150.0
JOB_TIMEOUT_S = 120.0


# --- Local media server ----------------------------------------------------------------------------------------
@dataclass
class MediaServer:
    server: http.server.ThreadingHTTPServer
    base: str
    root: Path
    release: threading.Event
    hits: list[str] = field(default_factory=list)

    def url(self, route: str, name: str) -> str:
        return f"{self.base}/{route}/{name}"


CONTENT_TYPES = {".m4a": "audio/mp4", ".mp3": "audio/mpeg"}


@contextmanager
def media_server(root: Path) -> Iterator[MediaServer]:
    """/media/NAME: the file; /slow/NAME: trickled until `release` is set, then the rest; /missing/...: 404."""
    release = threading.Event()
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return None

        def _file(self) -> Path | None:
            name = Path(urlsplit(self.path).path).name
            path = root / name
            return path if name and path.is_file() else None

        def _head(self, path: Path) -> None:
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(path.stat().st_size))
            self.end_headers()

        def _not_found(self, with_body: bool) -> None:
            body = b"<html>Not found</html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            hits.append(f"HEAD {self.path}")
            path = self._file()
            if path is None or self.path.startswith("/missing/"):
                self._not_found(False)
            else:
                self._head(path)

        def do_GET(self) -> None:
            hits.append(f"GET {self.path}")
            path = self._file()
            if path is None or self.path.startswith("/missing/"):
                self._not_found(True)
                return
            data = path.read_bytes()
            self._head(path)
            try:
                if self.path.startswith("/slow/"):
                    at = 0
                    while at < len(data) and not release.is_set():
                        self.wfile.write(data[at : at + SLOW_CHUNK])
                        self.wfile.flush()
                        at += SLOW_CHUNK
                        release.wait(SLOW_TICK_S)
                    self.wfile.write(data[at:])
                else:
                    self.wfile.write(data)
            except OSError:
                self.close_connection = True

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            # yt-dlp drops keep-alive connections (and the probe GET of a direct link) without a word.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MediaServer(server, f"http://127.0.0.1:{server.server_address[1]}", root, release, hits)
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def generate_media(root: Path) -> list[subprocess.Popen[bytes]]:
    """Distinct files (different tones and noise seeds, so different audio hashes), generated in parallel."""
    jobs: list[tuple[str, float, int]] = [(f"e2e-{i + 1}.m4a", E2E_SECONDS, 300 + 110 * i) for i in range(E2E_RUNS)]
    jobs += [(f"slow-{i + 1}.m4a", SLOW_SECONDS, 520 + 70 * i) for i in range(SLOW_JOBS)]
    procs = []
    for seed, (name, seconds, freq) in enumerate(jobs, start=11):
        cmd = [
            "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}:sample_rate=44100",
            "-f", "lavfi", "-i", f"anoisesrc=color=pink:seed={seed}:amplitude=0.2:duration={seconds}:sample_rate=44100",
            "-filter_complex", "[0][1]amix=inputs=2,tremolo=f=0.5:d=0.6,aformat=channel_layouts=stereo",
            "-c:a", "aac", "-b:a", SOURCE_BITRATE, str(root / name),
        ]  # fmt: skip
        procs.append(subprocess.Popen(cmd))
    return procs


# --- The app's side: users, tokens, the worker ----------------------------------------------------------------
SETUP = """
import json
from accounts.models import ApiToken, User
tokens = {{}}
for email in {emails!r}:
    u = User.objects.filter(email=email).first() or User.objects.create_user(email, 'bench-pass-123')
    User.objects.filter(pk=u.pk).update(credits={credits})
    tokens[email] = ApiToken.issue(user=u, name='bench')[1]
print(json.dumps(tokens))
"""

LEDGER = """
import json
from collections import Counter
from accounts.models import User
from extraction.models import Extraction
out = {{}}
for email in {emails!r}:
    u = User.objects.get(email=email)
    jobs = Extraction.objects.filter(user=u)
    out[email] = {{
        "credits": u.credits,
        "statuses": dict(Counter(jobs.values_list("status", flat=True))),
        "errors": dict(Counter(jobs.exclude(error="").values_list("error", flat=True))),
    }}
print(json.dumps(out))
"""


def prepare(app: App) -> dict[str, str]:
    out = app.manage(
        "shell", "-c", SETUP.format(emails=[RUNNER_EMAIL, SUBMITTER_EMAIL, E2E_EMAIL], credits=USER_CREDITS)
    )
    tokens: dict[str, str] = json.loads(out.strip().splitlines()[-1])
    return tokens


def ledger(app: App) -> dict[str, dict[str, Any]]:
    out = app.manage("shell", "-c", LEDGER.format(emails=[RUNNER_EMAIL, SUBMITTER_EMAIL, E2E_EMAIL]))
    result: dict[str, dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    return result


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log_lines(self) -> tuple[list[str], int]:
        """Problem lines, and how many lines were yt-dlp's own error messages echoed to stderr."""
        text = self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""
        lines = [line for line in text.splitlines() if any(w in line for w in ("ERROR", "Traceback", "CRITICAL"))]
        echoed = [line for line in lines if "] ERROR: [" in line and "WARNING/" in line]
        return [line for line in lines if line not in echoed], len(echoed)


@contextmanager
def extraction_worker(app: App) -> Iterator[Worker]:
    log_path = app.workdir / "extractor.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "soundboard", "worker", "-Q", "extraction", "-c", "2",
             "-n", "bench-extractor@localhost", "--without-gossip", "--without-mingle", "-l", "warning"],
            cwd=ROOT,
            env=app.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield Worker(proc, log_path)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # warm shutdown: waits for running tasks (there should be none)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("  WARNING: the worker ignored SIGTERM for 30 s; cold shutdown", flush=True)
                proc.send_signal(signal.SIGQUIT)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


# --- HTTP ---------------------------------------------------------------------------------------------------
class Api:
    """One keep-alive connection with a user's token."""

    def __init__(self, app: App, token: str) -> None:
        self.app = app
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection(app.host, app.port, timeout=30)

    def call(self, method: str, path: str, payload: Any = None) -> tuple[float, int, Any]:
        body = json.dumps(payload).encode() if payload is not None else None
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=self.headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError) as exc:
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.app.host, self.app.port, timeout=30)
                if attempt == 2:
                    raise RuntimeError(f"{method} {path}: {exc!r}") from exc
                continue
            ms = (time.perf_counter() - start) * 1000
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw[:300]
            return ms, response.status, data
        raise AssertionError("unreachable")

    def submit(self, url: str) -> tuple[float, int, Any]:
        return self.call("POST", "/api/v1/extractions/", {"url": url})

    def job(self, job_id: int) -> dict[str, Any]:
        _, status, data = self.call("GET", f"/api/v1/extractions/{job_id}")
        if status != 200:
            raise RuntimeError(f"GET extraction {job_id}: {status} {data!r}")
        result: dict[str, Any] = data
        return result

    def jobs(self) -> list[dict[str, Any]]:
        _, status, data = self.call("GET", "/api/v1/extractions/")
        if status != 200:
            raise RuntimeError(f"GET extractions: {status} {data!r}")
        result: list[dict[str, Any]] = data
        return result

    def close(self) -> None:
        self.conn.close()


def _accepted(what: str, answer: tuple[float, int, Any]) -> int:
    _, status, data = answer
    if status != 202:
        raise RuntimeError(f"{what}: expected 202, got {status} {data!r}")
    return int(data["id"])


# --- 1. Submit latency while two extractions run -------------------------------------------------------------
def bench_submit(app: App, server: MediaServer, tokens: dict[str, str]) -> None:
    runner = Api(app, tokens[RUNNER_EMAIL])
    submitter = Api(app, tokens[SUBMITTER_EMAIL])
    started = time.perf_counter()
    slow_ids = [_accepted("slow job", runner.submit(server.url("slow", f"slow-{i + 1}.m4a"))) for i in range(SLOW_JOBS)]
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    while True:
        states = [runner.job(i) for i in slow_ids]
        if all(s["status"] == "processing" and s["stage"] == "downloading" for s in states):
            break
        if any(s["status"] in ("failed", "completed") for s in states):
            raise RuntimeError(f"a slow job ended early: {states!r}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not pick up the slow jobs: {states!r}")
        time.sleep(0.1)
    print(
        f"worker up: both slow extractions downloading {time.perf_counter() - started:.1f} s after submitting them",
        flush=True,
    )

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cold: list[float] = []
    missing = server.url("missing", "nothing.m4a")
    for i in range(SUBMIT_WARMUP + SUBMITS):
        ms, status, data = submitter.submit(f"{missing}?n={i}")
        if i < SUBMIT_WARMUP:
            cold.append(ms)
        else:
            latencies.append(ms)
            statuses[status] = statuses.get(status, 0) + 1
        if status != 202 and statuses.get(status, 0) <= 3:
            print(f"  submit {i}: {status} {data!r}", flush=True)
    states = [runner.job(i) for i in slow_ids]
    still = all(s["status"] == "processing" for s in states)
    print(
        f"submit latency, POST /api/v1/extractions/ -> 202, {SUBMITS} sequential submits by one user "
        f"(after {SUBMIT_WARMUP} warm-up) while {SLOW_JOBS} extractions of another user download: "
        f"{summary(latencies)}; statuses={statuses} (target p50 < 50 ms)",
        flush=True,
    )
    slowest = sorted(range(len(latencies)), key=lambda k: -latencies[k])[:5]
    print(
        f"  warm-up submits: {', '.join(f'{ms:.0f}' for ms in cold)} ms; "
        f"slowest: {', '.join(f'#{k} {latencies[k]:.1f} ms' for k in sorted(slowest))}",
        flush=True,
    )
    print(
        f"  the {SLOW_JOBS} slow extractions were still running after the last submit: {'yes' if still else 'NO'} "
        f"({', '.join(f'{s["status"]}/{s["stage"]} {s["progress"]}%' for s in states)})",
        flush=True,
    )

    # Let the slow ones finish, and the queued 404 jobs fail behind them.
    server.release.set()
    released = time.perf_counter()
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while True:
        active = [j for api in (runner, submitter) for j in api.jobs() if j["status"] in ("pending", "processing")]
        if not active:
            break
        if time.monotonic() > deadline:
            print(f"  WARNING: {len(active)} jobs still active {DRAIN_TIMEOUT_S:.0f} s after the release", flush=True)
            break
        time.sleep(0.25)
    drained = time.perf_counter() - released
    slow_final = [runner.job(i) for i in slow_ids]
    runner.close()
    submitter.close()
    total = SUBMIT_WARMUP + SUBMITS
    print(
        f"  queue drained {drained:.1f} s after releasing the slow downloads ({SLOW_JOBS} slow jobs + {total} "
        f"404 jobs on 2 worker processes); slow jobs: "
        f"{', '.join(f'{s["status"]} {s["error"] or ""}'.strip() for s in slow_final)}",
        flush=True,
    )


# --- 2. End to end: ours against plain yt-dlp --------------------------------------------------------------------
@dataclass
class OurRun:
    total_s: float
    stages: dict[str, float]  # first time each status/stage was seen, seconds after the POST
    submit_ms: float

    def until(self, label: str) -> float | None:
        return self.stages.get(label)


def run_ours(api: Api, url: str) -> OurRun:
    start = time.perf_counter()
    answer = api.submit(url)
    job_id = _accepted("end-to-end job", answer)
    submit_ms = answer[0]
    stages: dict[str, float] = {}
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        job = api.job(job_id)
        now = time.perf_counter() - start
        label = job["status"] if job["status"] != "processing" else f"processing/{job['stage']}"
        stages.setdefault(label, now)
        if job["status"] == "completed":
            if job["error"]:
                print(f"  NOTE: our job {job_id} completed with: {job['error']}", flush=True)
            return OurRun(now, stages, submit_ms)
        if job["status"] == "failed":
            raise RuntimeError(f"our extraction of {url} failed: {job['error']}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"our extraction of {url} did not finish in {JOB_TIMEOUT_S:.0f} s: {job!r}")
        time.sleep(POLL_S)


def _yt_dlp_cmd(outdir: Path, url: str) -> list[str]:
    return [
        str(ROOT / ".venv/bin/yt-dlp"), "--ignore-config", "--no-playlist", "-x", "--audio-format", "mp3",
        "--audio-quality", "256K", "-o", f"{outdir}/%(title)s.%(ext)s", url,
    ]  # fmt: skip


def run_plain(outdir: Path, url: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(_yt_dlp_cmd(outdir, url), capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"yt-dlp failed ({result.returncode}):\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    if not list(outdir.glob("*.mp3")):
        raise RuntimeError(f"yt-dlp wrote no mp3 in {outdir}:\n{result.stdout[-1500:]}")
    return elapsed


def _probe(path: Path) -> str:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name,bit_rate,sample_rate",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return out.stdout.strip()


def _fmt_stages(run: OurRun) -> str:
    marks = sorted(run.stages.items(), key=lambda kv: kv[1])
    return " -> ".join(f"{label} {t:.2f}" for label, t in marks) + f" -> done {run.total_s:.2f}"


def bench_end_to_end(app: App, server: MediaServer, token: str) -> None:
    api = Api(app, token)
    scratch = Path(tempfile.mkdtemp(prefix="soundboard-bench-ytdlp-"))
    ours: list[OurRun] = []
    plain: list[float] = []
    source = server.root / "e2e-1.m4a"
    print(
        f"end to end: {E2E_SECONDS / 60:.0f}-minute files (AAC {SOURCE_BITRATE} .m4a, "
        f"{source.stat().st_size / 1e6:.1f} MB, served from 127.0.0.1) -> mp3 256k; runs alternate ours/plain",
        flush=True,
    )
    try:
        # Interpreter start and yt-dlp import, which every plain run pays and our warm worker does not.
        start = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/yt-dlp"), "--version"], capture_output=True, check=True)
        startup = time.perf_counter() - start
        for i in range(E2E_RUNS):
            url = server.url("media", f"e2e-{i + 1}.m4a")
            run = run_ours(api, url)
            ours.append(run)
            print(f"  ours  run {i + 1}: {run.total_s:.2f} s  ({_fmt_stages(run)})", flush=True)
            outdir = scratch / f"run-{i + 1}"
            outdir.mkdir()
            seconds = run_plain(outdir, url)
            plain.append(seconds)
            print(f"  plain run {i + 1}: {seconds:.2f} s  (`yt-dlp -x` -> {_probe(next(outdir.glob('*.mp3')))})")
    finally:
        api.close()
        shutil.rmtree(scratch, ignore_errors=True)

    ours_med = statistics.median(r.total_s for r in ours)
    plain_med = statistics.median(plain)
    print(
        f"end to end, median of {E2E_RUNS}: ours {ours_med:.2f} s, plain yt-dlp -x {plain_med:.2f} s, "
        f"ours/plain = {ours_med / plain_med:.2f}x",
        flush=True,
    )
    before_norm = [t for r in ours if (t := r.until("processing/normalizing")) is not None]
    if len(before_norm) == len(ours):
        pre = statistics.median(before_norm)
        norm = statistics.median(r.total_s - (r.until("processing/normalizing") or 0) for r in ours)
        print(
            f"  ours without loudness normalization (POST -> stage 'normalizing' first seen, 50 ms polling): "
            f"median {pre:.2f} s, ours/plain = {pre / plain_med:.2f}x; the normalization stage itself: "
            f"median {norm:.2f} s",
            flush=True,
        )
    else:
        print("  (the 'normalizing' stage was not seen in every run: no figure without normalization)", flush=True)
    picked = [t for r in ours if (t := r.until("processing/detecting") or r.until("processing/checking"))]
    if picked:
        print(
            f"  queue pick-up (POST -> first seen processing): median {statistics.median(picked):.2f} s; "
            f"submit answer median {statistics.median(r.submit_ms for r in ours):.0f} ms",
            flush=True,
        )
    print(
        "  caveat: ours also loudness-normalizes (two-pass EBU R128 with ffmpeg, a second full decode+encode) and "
        "stores the sound, which plain yt-dlp does not; plain pays a fresh interpreter and yt-dlp import "
        f"every run (`yt-dlp --version` alone: {startup:.2f} s), ours runs in a warm worker but adds queueing "
        "and 50 ms polling granularity",
        flush=True,
    )


def main() -> None:
    started = time.perf_counter()
    media_root = Path(tempfile.mkdtemp(prefix="soundboard-bench-www-"))
    try:
        generating = generate_media(media_root)
        with running_app(extra_env=EXTRA_ENV) as app:
            tokens = prepare(app)
            if any(p.wait() != 0 for p in generating):
                raise RuntimeError("ffmpeg could not generate the media files")
            with media_server(media_root) as server, extraction_worker(app) as worker:
                bench_submit(app, server, tokens)
                bench_end_to_end(app, server, tokens[E2E_EMAIL])
                problems, echoed = worker.log_lines()
            book = ledger(app)
        expected = {
            SUBMITTER_EMAIL: ("every failed job refunded", USER_CREDITS),
            RUNNER_EMAIL: ("both slow jobs paid", USER_CREDITS - EXTRACTION_COST * SLOW_JOBS),
            E2E_EMAIL: ("every run paid", USER_CREDITS - EXTRACTION_COST * E2E_RUNS),
        }
        print("ledger after the runs:", flush=True)
        for email, (what, credits) in expected.items():
            entry = book[email]
            errors = "; ".join(f"{n}x {err!r}" for err, n in entry["errors"].items())
            print(
                f"  {email.split('@')[0]}: jobs {entry['statuses']}, credits {USER_CREDITS} -> {entry['credits']} "
                f"({what}: {'yes' if entry['credits'] == credits else 'NO'})"
                + (f"; errors: {errors}" if errors else ""),
                flush=True,
            )
        if echoed:
            print(
                f"  worker log: {echoed} lines of yt-dlp's own 'ERROR: ...' text, printed to stderr despite "
                "quiet=True and logged by Celery as WARNING (one per failed job)",
                flush=True,
            )
        for line in problems[:5]:
            print(f"  worker log: {line[:300]}", flush=True)
        if len(problems) > 5:
            print(f"  worker log: ... {len(problems)} problem lines in all", flush=True)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)
    print(f"(extraction benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
