"""Issue 4: instant play latency (POST -> first audio out of libvlc), the seed's cvlc-per-play for comparison,
and 20 users clicking at once for 30 s with the credit ledger checked afterwards.

Everything runs against `running_app()` and a real `manage.py run_player` (the Procfile's player line);
cvlc (Debian's vlc-bin) is a benchmark-only dependency and the comparison is skipped without it.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import BENCH_REDIS_URL, ROOT, App, percentile, running_app, summary

HEARTBEAT_KEY = "sb:player:main:heartbeat"  # player.protocol.heartbeat_key("main")
TONE_SECONDS = 0.3
SEQUENTIAL_PLAYS = 200
SEQUENTIAL_WARMUP = 10
SEQUENTIAL_GAP_S = 0.1  # after each answer: a 0.3 s tone, so about three playbacks overlap at most
# A gap longer than the tone: every play starts in silence (a lone click in a quiet room), the case where the
# player also un-ducks and re-ducks the music around each clip.
ISOLATED_PLAYS = 40
ISOLATED_GAP_S = 0.5
CVLC_RUNS = 30
CVLC_WARMUP = 2
CONCURRENT_USERS = 20
CONCURRENT_SECONDS = 30.0
USER_CREDITS = 100_000
SOLO_EMAIL = "bench-play@example.com"


def _fmt(values_ms: list[float]) -> str:
    return f"p50={percentile(values_ms, 50):.1f} ms p95={percentile(values_ms, 95):.1f} ms"


# --- Set-up: one short sound, users with tokens and credits, the player process --------------------------------
SETUP = """
import json
from accounts.models import ApiToken, User
from sounds.models import Sound
emails, credits = {emails!r}, {credits}
tokens = {{}}
for email in emails:
    u = User.objects.filter(email=email).first() or User.objects.create_user(email, 'bench-pass-123')
    User.objects.filter(pk=u.pk).update(credits=credits)
    tokens[email] = ApiToken.issue(user=u, name='bench')[1]
sound = Sound.objects.get(filename__endswith={filename!r})
print(json.dumps({{"tokens": tokens, "sound_id": sound.pk, "path": str(sound.playable_path())}}))
"""


@dataclass
class Setup:
    tokens: dict[str, str]
    sound_id: int
    path: Path


def prepare(app: App, emails: list[str]) -> Setup:
    sounds_root = Path(app.env["MEDIA_ROOT"]) / "sounds"
    folder = sounds_root / "originals" / "soundboard"
    folder.mkdir(parents=True, exist_ok=True)
    tone = folder / "bench-tone.wav"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency=880:duration={TONE_SECONDS}:sample_rate=48000", "-ac", "2", str(tone)],
        check=True,
    )  # fmt: skip
    app.manage("scan_sounds", "--no-normalize", "-v", "0")
    out = app.manage("shell", "-c", SETUP.format(emails=emails, credits=USER_CREDITS, filename=tone.name))
    data = json.loads(out.strip().splitlines()[-1])
    return Setup(data["tokens"], int(data["sound_id"]), Path(data["path"]))


@dataclass
class Player:
    proc: subprocess.Popen[bytes]
    log_path: Path
    output: str

    def log_problems(self) -> list[str]:
        text = self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""
        return [line for line in text.splitlines() if any(w in line for w in ("ERROR", "Traceback", "WARNING"))]


@contextmanager
def player(app: App, output: str, room: str = "main") -> Iterator[Player]:
    """`manage.py run_player --room ROOM --output OUTPUT` with the app's environment; ready once its heartbeat
    is in Redis."""
    import redis

    key = f"sb:player:{room}:heartbeat"  # player.protocol.heartbeat_key (benchmarks import nothing of the app)
    client = redis.Redis.from_url(BENCH_REDIS_URL)
    client.delete(key)
    log_path = app.workdir / f"player-{room}-{output.split(':')[0]}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_player", "--room", room, "--output", output],
            cwd=ROOT,
            env=app.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started = time.perf_counter()
    try:
        deadline = time.monotonic() + 60
        while client.get(key) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The player did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.02)
        up_s = time.perf_counter() - started
        print(f"player of room {room} up (--output {output.split(':')[0]}) in {up_s:.1f} s", flush=True)
        yield Player(proc, log_path, output)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print("  WARNING: the player ignored SIGTERM for 20 s; killing it", flush=True)
            proc.kill()
            proc.wait()
        client.close()


# --- 1. Sequential play latency -----------------------------------------------------------------------------
def _post_play(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[float, int, bytes]:
    start = time.perf_counter()
    conn.request("POST", path, body=b"", headers=headers)
    response = conn.getresponse()
    body = response.read()
    return (time.perf_counter() - start) * 1000, response.status, body


def bench_sequential(
    app: App, setup: Setup, token: str, output: str, *, plays: int = SEQUENTIAL_PLAYS, gap_s: float = SEQUENTIAL_GAP_S
) -> list[float]:
    path = f"/api/v1/sounds/play/{setup.sound_id}"
    headers = {"Authorization": f"Bearer {token}", "Content-Length": "0"}
    out_dir = Path(output[5:]) if output.startswith("file:") else None
    with player(app, output) as proc:
        conn = http.client.HTTPConnection(app.host, app.port, timeout=30)
        statuses: dict[int, int] = {}
        latencies: list[float] = []
        credits_seen: list[int] = []
        try:
            for i in range(SEQUENTIAL_WARMUP + plays):
                ms, status, body = _post_play(conn, path, headers)
                if i >= SEQUENTIAL_WARMUP:
                    latencies.append(ms)
                    statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    credits_seen.append(int(json.loads(body)["credits"]))
                elif statuses.get(status, 0) <= 3:
                    print(f"  play {i}: {status} {body[:200]!r}", flush=True)
                time.sleep(gap_s)
        finally:
            conn.close()
        time.sleep(TONE_SECONDS + 0.3)  # let the last playbacks end before the player stops
        label = "none" if out_dir is None else "file:DIR"
        print(
            f"play latency, POST /api/v1/sounds/play -> 200 after first audio, --output {label}, "
            f"{plays} plays ({gap_s * 1000:.0f} ms gap, {TONE_SECONDS} s tone): "
            f"{summary(latencies)}; statuses={statuses} (targets p50 < 30 ms, p95 < 100 ms)",
            flush=True,
        )
        slowest = sorted(range(len(latencies)), key=lambda k: -latencies[k])[:5]
        print(f"  slowest: {', '.join(f'#{k} {latencies[k]:.1f} ms' for k in sorted(slowest))}", flush=True)
        if credits_seen and any(b != a - 1 for a, b in itertools.pairwise(credits_seen)):
            print("  WARNING: the credits in the answers did not go down one play at a time", flush=True)
        if out_dir is not None:
            wavs = sorted(out_dir.glob("*.wav"))
            empty = [w for w in wavs if w.stat().st_size <= 44]
            print(
                f"  rendered WAV files: {len(wavs)} for {SEQUENTIAL_WARMUP + plays} plays ({len(empty)} without audio)",
                flush=True,
            )
        for line in proc.log_problems()[:5]:
            print(f"  player log: {line[:300]}", flush=True)
    return latencies


# --- 2. The seed: one cvlc process per play ------------------------------------------------------------------
def _drop_root() -> tuple[list[str], str] | None:
    """A command prefix running as an unprivileged user (VLC refuses root), and that user's name."""
    if os.geteuid() != 0:
        return [], pwd.getpwuid(os.geteuid()).pw_name
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"], "nobody"
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--"], "nobody"
    return None


def _audio_offset(path: Path) -> int | None:
    """Where the samples start in a WAV file being written (None until the header is there)."""
    try:
        head = path.read_bytes()[:256]
    except OSError:
        return None
    at = head.find(b"data")
    return at + 8 if at >= 0 else None


def _one_cvlc(prefix: list[str], env: dict[str, str], sound: Path, out: Path) -> float | None:
    cmd = [*prefix, "cvlc", "--play-and-exit", "--intf", "dummy", "--no-video", "--aout=afile",
           f"--audiofile-file={out}", str(sound)]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    heard: float | None = None
    try:
        while heard is None:
            try:
                size = os.stat(out).st_size
            except FileNotFoundError:
                size = 0
            if size > 44:
                offset = _audio_offset(out)
                if offset is not None and size > offset:
                    heard = (time.perf_counter() - start) * 1000
                    break
            if proc.poll() is not None:
                size = out.stat().st_size if out.exists() else 0
                offset = _audio_offset(out)
                if offset is not None and size > offset:  # finished between two polls
                    heard = (time.perf_counter() - start) * 1000
                break
            time.sleep(0.001)
    finally:
        proc.wait(timeout=30)
    return heard


def bench_cvlc(sound: Path) -> list[float]:
    cvlc = shutil.which("cvlc")
    if cvlc is None:
        print(
            "seed comparison SKIPPED: cvlc is not installed (Debian's vlc-bin: apt-get install -y vlc-bin)",
            flush=True,
        )
        return []
    drop = _drop_root()
    if drop is None:
        print("seed comparison SKIPPED: running as root and neither setpriv nor runuser is available", flush=True)
        return []
    prefix, user = drop
    scratch = Path(tempfile.mkdtemp(prefix="soundboard-bench-cvlc-"))
    try:
        scratch.chmod(0o777)
        home = scratch / "home"
        home.mkdir()
        home.chmod(0o777)
        clip = scratch / sound.name  # readable by the unprivileged user, wherever the app keeps its files
        shutil.copy(sound, clip)
        clip.chmod(0o644)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
        latencies: list[float] = []
        failures = 0
        for i in range(CVLC_WARMUP + CVLC_RUNS):
            out = scratch / f"out-{i}.wav"
            heard = _one_cvlc(prefix, env, clip, out)
            if heard is None:
                failures += 1
            elif i >= CVLC_WARMUP:
                latencies.append(heard)
        if not latencies:
            print(f"seed comparison FAILED: cvlc never wrote audio ({failures} runs), as {user}", flush=True)
            return []
        print(
            f"seed, one `cvlc --play-and-exit` per play (as {user}, --aout=afile), spawn -> first audio in the "
            f"file: {summary(latencies)}" + (f"; {failures} runs wrote no audio" if failures else ""),
            flush=True,
        )
        return latencies
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- 3. Twenty users clicking at once -----------------------------------------------------------------------
@dataclass
class UserStats:
    email: str
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    refunded: int = 0  # answers saying the credit was given back
    reconnects: int = 0
    samples: dict[int, bytes] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                break
    return status, body, headers.get("connection", "").lower() == "close"


async def _clicker(host: str, port: int, path: str, token: str, stop_at: float, stats: UserStats) -> None:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            try:
                writer.write(request)
                status, body, close = await asyncio.wait_for(_read_response(reader), 30)
            except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
                stats.statuses[-1] = stats.statuses.get(-1, 0) + 1  # -1: no answer
                stats.samples.setdefault(-1, repr(exc).encode())
                close = True
            else:
                stats.latencies_ms.append((time.perf_counter() - start) * 1000)
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
                if status != 200:
                    stats.samples.setdefault(status, body[:300])
                    if b"refunded" in body:
                        stats.refunded += 1
            if close:
                writer.close()
                stats.reconnects += 1
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


LEDGER = """
import json
from accounts.models import User
from credits.models import CreditAction, CreditTransaction
from sounds.models import SoundPlayed
out = {{}}
for email in {emails!r}:
    u = User.objects.get(email=email)
    tx = CreditTransaction.objects.filter(user=u)
    out[email] = {{
        "credits": u.credits,
        "debits": tx.filter(action=CreditAction.VLC_PLAY_SOUND).count(),
        "refunds": tx.filter(action=CreditAction.REFUND).count(),
        "played": SoundPlayed.objects.filter(user=u).count(),
    }}
print(json.dumps(out))
"""


def _ledger(app: App, emails: list[str]) -> dict[str, dict[str, int]]:
    out = app.manage("shell", "-c", LEDGER.format(emails=emails))
    result: dict[str, dict[str, int]] = json.loads(out.strip().splitlines()[-1])
    return result


def bench_concurrent(app: App, setup: Setup, emails: list[str]) -> None:
    before = _ledger(app, emails)
    path = f"/api/v1/sounds/play/{setup.sound_id}"
    stats = [UserStats(email) for email in emails]
    with player(app, "none") as proc:
        heartbeat_peak = 0

        async def watch_heartbeat(stop_at: float) -> None:
            import redis.asyncio as aredis

            nonlocal heartbeat_peak
            client = aredis.Redis.from_url(BENCH_REDIS_URL)
            try:
                while time.perf_counter() < stop_at:
                    raw = await client.get(HEARTBEAT_KEY)
                    if raw:
                        heartbeat_peak = max(heartbeat_peak, int(json.loads(raw).get("playing", 0)))
                    await asyncio.sleep(0.5)
            finally:
                await client.aclose()

        async def run() -> float:
            start = time.perf_counter()
            stop_at = start + CONCURRENT_SECONDS
            clickers = (_clicker(app.host, app.port, path, setup.tokens[s.email], stop_at, s) for s in stats)
            await asyncio.gather(watch_heartbeat(stop_at), *clickers)
            return time.perf_counter() - start

        elapsed = asyncio.run(run())
        time.sleep(TONE_SECONDS + 1.0)  # the player records plays after answering: let the last ones land
        problems = proc.log_problems()
    after = _ledger(app, emails)

    statuses: dict[int, int] = {}
    for s in stats:
        for code, n in s.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    latencies = [ms for s in stats for ms in s.latencies_ms]
    ok = sum(s.ok for s in stats)
    five_xx = sum(n for code, n in statuses.items() if code >= 500)
    print(
        f"{CONCURRENT_USERS} users clicking back to back for {CONCURRENT_SECONDS:.0f} s (--output none): "
        f"{ok / elapsed:.1f} plays/s ({ok} played in {elapsed:.1f} s), statuses={dict(sorted(statuses.items()))} "
        f"({'no 5xx' if not five_xx else f'{five_xx} 5xx!'}), p50={percentile(latencies, 50):.1f} ms "
        f"p99={percentile(latencies, 99):.1f} ms max={max(latencies, default=0):.1f} ms; "
        f"peak simultaneous playbacks seen in the heartbeat: {heartbeat_peak}",
        flush=True,
    )
    samples = {code: body for s in stats for code, body in s.samples.items()}
    for code, body in sorted(samples.items()):
        print(f"  e.g. {code}: {body.decode(errors='replace')}", flush=True)
    refunded_answers = sum(s.refunded for s in stats)
    reconnects = sum(s.reconnects for s in stats)
    if reconnects:
        print(f"  the server closed {reconnects} connection(s) (clients reconnected)", flush=True)

    mismatches: list[str] = []
    refunds_total = played_total = 0
    for s in stats:
        b, a = before[s.email], after[s.email]
        spent = b["credits"] - a["credits"]
        debits = a["debits"] - b["debits"]
        refunds = a["refunds"] - b["refunds"]
        played = a["played"] - b["played"]
        refunds_total += refunds
        played_total += played
        if spent != s.ok:
            mismatches.append(f"{s.email}: spent {spent} credits for {s.ok} answers 200")
        if debits - refunds != s.ok:
            mismatches.append(f"{s.email}: {debits} debits - {refunds} refunds != {s.ok} answers 200")
        if played != s.ok:
            mismatches.append(f"{s.email}: {played} plays in the history for {s.ok} answers 200")
    print(
        f"ledger consistent: {'yes' if not mismatches else 'no'} ({CONCURRENT_USERS} users: credits spent == "
        f"answers 200 == debits - refunds; {ok} answers 200, {refunds_total} refunds in the ledger, "
        f"{refunded_answers} answers said 'refunded', {played_total} plays in the history)",
        flush=True,
    )
    for line in mismatches[:20]:
        print(f"  mismatch: {line}", flush=True)
    for line in problems[:5]:
        print(f"  player log: {line[:300]}", flush=True)
    if len(problems) > 5:
        print(f"  player log: ... {len(problems)} problem lines in all", flush=True)


def main() -> None:
    started = time.perf_counter()
    crowd = [f"bench-crowd-{i:02d}@example.com" for i in range(CONCURRENT_USERS)]
    # A high per-user limit: the default (5 per 10 s) would answer 429 long before the player is the limit.
    with running_app(extra_env={"PLAY_RATE_LIMIT": "100000/1s"}) as app:
        setup = prepare(app, [SOLO_EMAIL, *crowd])
        token = setup.tokens[SOLO_EMAIL]
        ours = bench_sequential(app, setup, token, "none")
        ours_file = bench_sequential(app, setup, token, f"file:{app.workdir / 'rendered'}")
        bench_sequential(app, setup, token, "none", plays=ISOLATED_PLAYS, gap_s=ISOLATED_GAP_S)
        seed = bench_cvlc(setup.path)
        if seed:
            s50 = percentile(seed, 50)
            print(
                f"seed/ours, p50: {s50 / percentile(ours, 50):.1f}x against --output none, "
                f"{s50 / percentile(ours_file, 50):.1f}x against --output file:DIR "
                f"(seed {_fmt(seed)}; ours none {_fmt(ours)}, file {_fmt(ours_file)})",
                flush=True,
            )
        bench_concurrent(app, setup, crowd)
    print(f"(play benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
