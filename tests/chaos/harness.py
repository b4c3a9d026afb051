"""Real processes on a private Redis, for killing: worker, extractor, beat, player and a daphne web process.

Each test gets its own redis-server (append-only file, like the one `make run` starts) so it can be stopped
and started again without touching the machine's Redis that other tests share. The processes under test point
at it through their environment; the test process itself keeps the session's Redis for its own cache and
events, and reaches the private broker through `Stack.celery` (see `tests/chaos/conftest.py`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from django.conf import settings

from conftest import subprocess_env
from player.protocol import DEFAULT_ROOM, heartbeat_key

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30.0, every: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)


@dataclass
class PrivateRedis:
    """A redis-server of our own: persistent (AOF), so a restart keeps queued messages, as in production."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url(), socket_timeout=2)

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.workdir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(self._answers, "the private Redis to answer", timeout=10)

    def _answers(self) -> bool:
        assert self.proc is not None
        assert self.proc.poll() is None, "redis-server exited"
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): the append-only file is flushed, as on a service restart."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def restart(self) -> None:
        self.stop()
        self.start()


class Stack:
    """The processes of one test, started and killed by name; logs in the work folder."""

    def __init__(self, workdir: Path, redis_server: PrivateRedis, **extra_env: str) -> None:
        self.workdir = workdir
        self.redis = redis_server
        self.sounds_root = workdir / "sounds"
        self.output_dir = workdir / "player-out"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.argv: dict[str, list[str]] = {}
        self.web_url = ""
        self.env = subprocess_env(
            TEST_REDIS_URL=redis_server.url(),
            REDIS_URL=redis_server.url(),
            SOUNDS_ROOT=str(self.sounds_root),
            # Test-only: extraction from the tests' local media server.
            EXTRACTION_ALLOW_GENERIC="true",
            EXTRACTION_ALLOWED_PRIVATE_IPS="127.0.0.1",
            # Runs beat often, so a dead one is noticed (and a live one is not) within the test's seconds.
            EXTRACTION_HEARTBEAT_S="0.5",
            SOUNDS_JOB_HEARTBEAT_S="0.5",
            PLAY_RATE_LIMIT="100000/1s",
            PLAYER_COMMAND_RATE_LIMIT="100000/1s",
            **extra_env,
        )
        # The test's handle on the private broker: same routes as the project's, so a task lands on its queue.
        self.celery = Celery("chaos", broker=redis_server.url(), set_as_current=False)
        self.celery.conf.update(
            task_routes=settings.CELERY_TASK_ROUTES,
            task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            broker_transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            broker_connection_retry_on_startup=True,
        )
        for folder in ("soundboard", "text_to_speech", "extracted"):
            (self.sounds_root / "originals" / folder).mkdir(parents=True, exist_ok=True)

    # --- processes ---------------------------------------------------------------------------------------
    def _spawn(self, name: str) -> None:
        with open(self.workdir / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(
                self.argv[name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.is_file() else ""

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        assert proc is not None, f"{name} was never started"
        assert proc.poll() is None, f"{name} exited:\n{self.log(name)}"
        return True

    def start_worker(self, name: str, queues: str) -> None:
        node = f"chaos-{name}-{os.getpid()}@localhost"
        self.argv[name] = [
            sys.executable, "-m", "celery", "-A", "soundboard", "worker", "-Q", queues, "-P", "solo", "-n", node,
            "--without-gossip", "--without-mingle", "-l", "info",
        ]  # fmt: skip
        self._spawn(name)
        self.wait_worker(name)

    def wait_worker(self, name: str, timeout: float = 60) -> None:
        node = self.argv[name][self.argv[name].index("-n") + 1]
        wait_for(
            lambda: self.alive(name) and self.celery.control.ping(destination=[node], timeout=0.5),
            f"worker {name} to answer",
            timeout,
        )

    def start_player(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.argv["player"] = [sys.executable, "manage.py", "run_player", "--output", f"file:{self.output_dir}"]
        self._spawn("player")
        # This process's own heartbeat: after a kill -9 the dead one's lingers until its expiry.
        pid = self.procs["player"].pid
        # As generous as conftest's start_player: Django and libvlc can take half a minute on a loaded 2-core box.
        wait_for(lambda: self.alive("player") and self.player_online(pid), "the player's heartbeat", timeout=90)

    def player_online(self, pid: int | None = None) -> bool:
        try:
            raw = self.redis.client().get(heartbeat_key(DEFAULT_ROOM))
        except redis.RedisError:
            return False
        return raw is not None and (pid is None or json.loads(raw).get("pid") == pid)

    def start_web(self) -> None:
        port = free_port()
        self.argv["web"] = [
            sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soundboard.asgi:application"
        ]  # fmt: skip
        self.web_url = f"http://127.0.0.1:{port}"
        self._spawn("web")
        wait_for(lambda: self.alive("web") and self.get("/accounts/login/") == 200, "the web process", 60)

    def start_beat(self) -> None:
        self.argv["beat"] = [
            sys.executable, "-m", "celery", "-A", "soundboard", "beat", "-l", "info",
            "-S", "django_celery_beat.schedulers:DatabaseScheduler",
            "--pidfile", str(self.workdir / "beat.pid"),  # out of the checkout; a stale one is taken over
        ]  # fmt: skip
        self._spawn("beat")

    def kill(self, name: str) -> list[int]:
        """kill -9; returns the pids of its children then (they should die with it, see sounds.limits)."""
        proc = self.procs[name]
        out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False).stdout
        children = [int(pid) for pid in out.split()]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return children

    def restart(self, name: str) -> None:
        """What the supervisor does with a process that died: the same command again."""
        {"player": self.start_player, "web": self.start_web}.get(name, lambda: self._spawn(name))()
        if name not in ("player", "web", "beat"):
            self.wait_worker(name)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # --- the web process ---------------------------------------------------------------------------------
    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"{self.web_url}{path}", timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0

    def post(self, path: str, token: str, timeout: float = 15) -> int:
        request = urllib.request.Request(
            f"{self.web_url}{path}", method="POST", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0


def pids_gone(pids: list[int]) -> bool:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        # A zombie is gone for our purpose (its parent, the killed worker, can no longer reap it).
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z":
                return False
        except OSError:
            continue
    return True


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first, then the parent's pid)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_named(parent: int, name: str) -> list[int]:
    """Live child processes of `parent` whose command is `name`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is None or stat[0] == "Z" or int(stat[1]) != parent:
            continue
        try:
            if (entry / "comm").read_text().strip() == name:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def live_processes_using(argument: str) -> list[int]:
    """Live processes (zombies aside) with `argument` on their command line, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        stat = _stat(int(entry.name))
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if stat is not None and stat[0] != "Z" and argument.encode() in args:
            found.append(int(entry.name))
    return found
