"""Issue 15, target 3: 50 concurrent downloads of a 100 MB sound; the web process's memory stays flat.

Against `running_app()` (daphne on the Procfile command line). One 100 MB WAV (ffmpeg noise) is registered as a
sound; 50 `curl` processes (C readers: a Python client on this 2-core box would measure itself) download it at
once through `/api/v1/files/sounds/{id}/download`, signed in. A thread samples daphne's resident memory from
/proc every 20 ms; the figure is the peak minus the resident size just before the downloads began (after one
warm-up download, so imports and the first request's caches are not counted).

Two rounds: clients reading as fast as they can, and slow clients (`--limit-rate`), where a server that writes
faster than the network drains would pile the unsent file up in its own memory. Each download's first byte
must come long before its last (the file is streamed, not read whole first); each must arrive complete.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from benchmarks.harness import percentile, running_app

CLIENTS = 50
SIZE_MB = 100
TARGET_GROWTH_MB = 50.0
SLOW_RATE = "4M"  # bytes per second per slow client: 50 of them still finish in about 25 s
# Measured on this 2-core machine before daphne's backpressure and the file readers' own threads (17e3d59):
# first round of each kind, daphne's growth in MB.
BEFORE_MB = {"fast": 47.6, "slow": 1267.9}
ROUNDS = int(os.environ.get("BENCH_FILES_ROUNDS", "2"))  # each scenario twice: the spread between runs

# The row is written directly: a scan would probe 10 minutes of audio and queue its normalization, neither of
# which this benchmark measures (the file served is the original, as for a sound not normalized yet).
REGISTER = """
from sounds.models import Sound, SoundType
s = Sound.objects.create(type=SoundType.SDB, name="Big noise", search_name="big noise", filename="big.wav",
                         duration=590000, size={size}, hash="0" * 64, is_normalized=False)
print(s.pk)
"""


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class MemoryWatch:
    """Samples a process's resident memory until stopped; `peak_kb` is the largest sample."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = _rss_kb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, _rss_kb(self.pid))

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _download(url: str, cookie: str, rate: str | None, clients: int = CLIENTS) -> list[subprocess.Popen[str]]:
    command = ["curl", "-s", "-o", "/dev/null", "-H", f"Cookie: sessionid={cookie}"]
    fields = '"code":%{http_code},"size":%{size_download},"first":%{time_starttransfer},"total":%{time_total}'
    command += ["-w", "{" + fields + "}"]
    if rate:
        command += ["--limit-rate", rate]
    return [subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True) for _ in range(clients)]


def _round(pid: int, url: str, cookie: str, size: int, rate: str | None) -> float:
    before_kb = _rss_kb(pid)
    started = time.perf_counter()
    with MemoryWatch(pid) as watch:
        clients = _download(url, cookie, rate)
        results = [json.loads(client.communicate()[0]) for client in clients]
    took = time.perf_counter() - started
    growth_mb = (watch.peak_kb - before_kb) / 1024
    codes = sorted({r["code"] for r in results})
    complete = sum(1 for r in results if r["code"] == 200 and r["size"] == size)
    first_ms = [r["first"] * 1000 for r in results]
    total_ms = [r["total"] * 1000 for r in results]
    label = f"slow clients ({rate}B/s each)" if rate else "fast clients"
    print(
        f"  {label}: {complete}/{CLIENTS} complete (statuses {codes}), {CLIENTS * size / 2**20 / took:.0f} MB/s "
        f"in {took:.1f} s; first byte p50 {percentile(first_ms, 50):.0f} ms p99 {percentile(first_ms, 99):.0f} ms, "
        f"last byte p50 {percentile(total_ms, 50):.0f} ms; daphne RSS {before_kb / 1024:.0f} MB -> peak "
        f"{watch.peak_kb / 1024:.0f} MB: growth {growth_mb:.1f} MB (target < {TARGET_GROWTH_MB:.0f} MB) "
        f"{'ok' if growth_mb < TARGET_GROWTH_MB and complete == CLIENTS else 'MISSED'}",
        flush=True,
    )
    return growth_mb


def main() -> None:
    started = time.perf_counter()
    with running_app() as app:
        sounds_root = Path(app.env["MEDIA_ROOT"]) / "sounds"  # the settings' default under the scratch MEDIA_ROOT
        wav = sounds_root / "originals" / "soundboard" / "big.wav"
        wav.parent.mkdir(parents=True, exist_ok=True)
        # 16-bit stereo at 44.1 kHz: 176 kB a second, so ~595 s make 100 MB.
        seconds = SIZE_MB * 2**20 / (44100 * 4)
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"anoisesrc=d={seconds:.2f}:c=pink:a=0.3",
             "-ac", "2", "-ar", "44100", "-c:a", "pcm_s16le", str(wav)],
            check=True, timeout=300,
        )  # fmt: skip
        size = wav.stat().st_size
        sound_id = int(app.manage("shell", "-c", REGISTER.format(size=size)).strip().splitlines()[-1])
        cookie = app.session_for("bench-files@example.com")
        url = f"{app.url}/api/v1/files/sounds/{sound_id}/download"
        pid = app.server_pid
        print(f"{CLIENTS} concurrent downloads of a {size / 2**20:.0f} MB sound through one daphne:", flush=True)
        for client in _download(url, cookie, None, clients=1):
            client.communicate()
        growths: dict[str, list[float]] = {"fast": [], "slow": []}
        for _ in range(ROUNDS):
            growths["fast"].append(_round(pid, url, cookie, size, None))
            growths["slow"].append(_round(pid, url, cookie, size, SLOW_RATE))
        for name, values in growths.items():
            print(
                f"{name} clients: memory growth worst {max(values):.1f} MB, spread {min(values):.1f}-"
                f"{max(values):.1f} MB over {len(values)} rounds (target < {TARGET_GROWTH_MB:.0f} MB; before: "
                f"{BEFORE_MB[name]:.0f} MB)",
                flush=True,
            )
    shutil.rmtree(app.workdir, ignore_errors=True)
    print(f"(files benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
