"""A small cluster on one machine: two daphne web processes, two Celery workers and a player, on PostgreSQL and
Redis (SQLite can't host several writers). Used by the cluster tests and by `benchmarks/bench_cluster.py`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from sounds.tests import media

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/6")
PG = ("127.0.0.1", 5432)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
    except OSError:
        return False
    return True


@dataclass
class Cluster:
    env: dict[str, str]
    webs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    sound_id: int = 0

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def shell(self, code: str) -> str:
        """What the code printed last (the shell prints its own notice first)."""
        lines = self.manage("shell", "-c", code).strip().splitlines()
        return lines[-1] if lines else ""

    def user(self, email: str, credits: int) -> tuple[int, str, str]:
        """(user id, bearer token, session cookie) of a new user with `credits`."""
        out = self.shell(
            "from django.test import Client\n"
            "from accounts.models import ApiToken, User\n"
            "from credits.services import adjust\n"
            f"u = User.objects.create_user({email!r}, 'cluster-pass-123')\n"
            # Through the ledger, so that the ledger sums to the balance from the first row on.
            f"adjust(user=u, amount={credits} - u.credits, reason='cluster test')\n"
            "_, raw = ApiToken.issue(user=u, name='cluster')\n"
            "c = Client(HTTP_HOST='127.0.0.1'); c.force_login(u)\n"
            "print(u.pk, raw, c.cookies['sessionid'].value)"
        )
        pk, token, cookie = out.splitlines()[-1].split()
        return int(pk), token, cookie

    def start_web(self, name: str) -> None:
        port = _free_port()
        log = open(Path(self.env["VAR_DIR"]) / f"{name}.log", "ab")  # noqa: SIM115  (kept for the process)
        self.webs[name] = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soundboard.asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.urls[name] = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # a loaded 2-core machine takes a minute to import and compile
        while True:
            try:
                # The first request imports and compiles templates: seconds on a busy machine, so a short
                # timeout would abort it again and again.
                urllib.request.urlopen(f"{self.urls[name]}/accounts/login/", timeout=30)
                return
            except OSError:
                assert self.webs[name].poll() is None, f"web {name} exited"
                assert time.monotonic() < deadline, f"web {name} did not start"
                time.sleep(0.1)

    def kill_web(self, name: str) -> None:
        self.webs[name].send_signal(signal.SIGKILL)
        self.webs[name].wait()


def postgres_answers() -> bool:
    return _answers(PG)


@contextmanager
def running_cluster(workdir: Path, extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """Migrate a fresh PostgreSQL database, put one sound in, start every process; stop and drop it after."""
    database = f"soundboard_cluster_{uuid.uuid4().hex[:8]}"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    env = {
        **os.environ,
        "TESTING": "true",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": "cluster-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "TEST_REDIS_URL": CLUSTER_REDIS_URL,
        "VAR_DIR": str(workdir / "var"),
        "MEDIA_ROOT": str(workdir / "media"),
        "SOUNDS_ROOT": str(workdir / "sounds"),
        "PLAYER_AUDIO_OUTPUT": "none",
        # The tests click faster than a person: the per-user limits would refuse most of it.
        "PLAY_RATE_LIMIT": "100000/1s",
        "ATTEMPT_SETTLE_AFTER_S": "3",
        **(extra_env or {}),
    }
    redis.Redis.from_url(CLUSTER_REDIS_URL).flushdb()
    cluster = Cluster(env)
    try:
        cluster.manage("migrate", "--noinput", "-v", "0")
        (workdir / "sounds" / "originals" / "soundboard").mkdir(parents=True)
        media.tone(workdir / "sounds" / "originals" / "soundboard" / "cluster horn.wav", 0.4, freq=550)
        cluster.manage("scan_sounds")
        cluster.sound_id = int(cluster.shell("from sounds.models import Sound; print(Sound.objects.get().pk)"))
        log = open(workdir / "others.log", "ab")  # noqa: SIM115  (kept for the processes)
        for name in ("a", "b"):
            cluster.others.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "soundboard", "worker", "-Q", "default,audio", "-P", "solo",
                 "-n", f"cluster-{name}-{os.getpid()}@localhost", "--without-gossip", "--without-mingle",
                 "-l", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))  # fmt: skip
        cluster.others.append(subprocess.Popen(
            [sys.executable, "manage.py", "run_player"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        ))  # fmt: skip
        cluster.start_web("a")
        cluster.start_web("b")
        cluster.shell(
            "from player.client import is_online; import time\n"
            "deadline = time.monotonic() + 30\n"
            "while not is_online():\n    assert time.monotonic() < deadline\n    time.sleep(0.05)"
        )
        yield cluster
    finally:
        for proc in [*cluster.webs.values(), *cluster.others]:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def play(url: str, token: str, sound_id: int) -> int:
    """POST a play as a program would; the status, or 0 when no answer came (the process died under us)."""
    request = urllib.request.Request(
        f"{url}/api/v1/sounds/play/{sound_id}", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0  # no answer at all: the web process died under us
