"""Start the app the way `make run` does (daphne on the Procfile command line) on a scratch database."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values_ms: Sequence[float]) -> str:
    return (
        f"n={len(values_ms)} p50={percentile(values_ms, 50):.1f} ms p95={percentile(values_ms, 95):.1f} ms "
        f"p99={percentile(values_ms, 99):.1f} ms mean={statistics.fmean(values_ms):.1f} ms"
    )


@dataclass
class App:
    url: str
    host: str
    port: int
    env: dict[str, str]
    workdir: Path
    server_pid: int = 0  # the daphne process, once started

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(result.stdout + result.stderr)
        return result.stdout

    def session_for(self, email: str, **fields: object) -> str:
        """Create (or reuse) a user and return a real session cookie value for them."""
        extra = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        code = (
            "from django.test import Client; from accounts.models import User\n"
            f"u = User.objects.filter(email={email!r}).first()\n"
            f"u = u or User.objects.create_user({email!r}, 'bench-pass-123')\n"
            + (f"User.objects.filter(pk=u.pk).update({extra}); u.refresh_from_db()\n" if extra else "")
            + "c = Client(HTTP_HOST='127.0.0.1'); c.force_login(u); print(c.cookies['sessionid'].value)"
        )
        return self.manage("shell", "-c", code).strip().splitlines()[-1]


@contextmanager
def running_app(extra_env: dict[str, str] | None = None) -> Iterator[App]:
    workdir = Path(tempfile.mkdtemp(prefix="soundboard-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "TESTING": "false",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "REDIS_URL": BENCH_REDIS_URL,
        "VAR_DIR": str(workdir / "var"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
        "PLAYER_AUDIO_OUTPUT": "none",
        **(extra_env or {}),
    }
    app = App(f"http://127.0.0.1:{port}", "127.0.0.1", port, env, workdir)
    import redis

    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
    app.manage("migrate", "--noinput", "-v", "0")
    app.manage("collectstatic", "--noinput", "-v", "0")
    # The Procfile's web command line.
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "soundboard.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app.server_pid = server.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{app.url}/accounts/login/", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web process did not start") from None
                time.sleep(0.1)
        yield app
    finally:
        server.terminate()
        server.wait(timeout=20)
