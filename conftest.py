"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from channels.layers import channel_layers
from django.conf import settings
from django.core.management import CommandError
from django.db import OperationalError, connection
from django.test import Client, TransactionTestCase

from accounts.models import Plan, User
from accounts.plans import seed_plans
from accounts.tests.factories import UserFactory
from player.client import heartbeat
from player.models import Room
from player.protocol import DEFAULT_ROOM
from playlists.models import Playlist
from soundboard.celery import app


@pytest.fixture(autouse=True)
def _clean_redis_state() -> Iterator[None]:
    """Cache entries (rate limits) and presence must not leak between tests.

    Only our own keys go: channel-layer and Celery broker keys belong to servers a test session may be running.
    """
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [*client.scan_iter("sb:1:*"), *client.scan_iter("sb:rl:*"), b"sb:presence"]
    client.delete(*keys)
    # channels-redis keeps asyncio locks bound to the loop that first used them; every test has a new loop.
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
    client.close()


def _deadlocked(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, OperationalError) and "deadlock detected" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


@pytest.fixture(scope="session", autouse=True)
def _flush_outlasts_a_deadlock() -> Iterator[None]:
    """A flushing test's TRUNCATE can meet a write of a player or worker process the test started (a clip that
    ends, a state saved) in a PostgreSQL deadlock, and PostgreSQL may cancel the TRUNCATE. Unflushed, the next
    tests found the last one's rows (a cooldown, a spent balance). PostgreSQL's answer to a deadlock is to run
    the cancelled transaction again: so does this, a few times, for the flush only."""
    original = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]  # private, untyped in the stubs

    def teardown(self: TransactionTestCase) -> None:
        for attempt in range(5):
            try:
                original(self)
                return
            except (CommandError, OperationalError) as exc:
                if attempt == 4 or not _deadlocked(exc):
                    raise

    setattr(TransactionTestCase, "_fixture_teardown", teardown)  # noqa: B010  (private, untyped in the stubs)
    yield
    setattr(TransactionTestCase, "_fixture_teardown", original)  # noqa: B010


@pytest.fixture(autouse=True)
def _seeded_plans(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush every table, the plans of the data migration included: put them back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")

    if Plan.objects.count() < 3:
        seed_plans(Plan)
    # The other rows the data migrations create. Run alone, pytest-django orders every plain `db` test before
    # the flushing ones; side by side (pytest-xdist) a process may get a file of plain tests after a flush.
    if not Playlist.objects.filter(is_main=True).exists():
        Playlist.objects.create(name="Main playlist", description="The house playlist.", is_main=True)
    Room.objects.get_or_create(slug=DEFAULT_ROOM, defaults={"name": "Main"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Side by side (`make test` runs pytest-xdist with `--dist loadgroup`): a file's tests stay on one process, so
    a module's player or worker starts once, and the browser tests share one process and its app, in file order.

    First: xdist's own hook reads these marks into the test ids, and a conftest hook without `tryfirst` ran after
    it, so the marks were ignored and tests were dealt out one by one."""
    for item in items:
        group = "e2e" if item.nodeid.startswith("tests/e2e/") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def user(db: None) -> User:
    return UserFactory.create()


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory.create(is_staff=True)


@pytest.fixture
def authed_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def database_url_for_subprocess() -> str:
    """The URL of the database the tests are using, for a server or worker started in a subprocess."""

    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    auth = f"{user}:{s.get('PASSWORD') or ''}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TESTING": "true",
        "DATABASE_URL": database_url_for_subprocess(),
        "TEST_REDIS_URL": settings.REDIS_URL,
        # The same key as this process: without a .env each process would draw its own, and a session signed
        # in here would be refused there.
        "SECRET_KEY": settings.SECRET_KEY,
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def daphne(log: Path, **extra_env: str) -> Iterator[tuple[int, int]]:
    """(port, pid) of a daphne started as the Procfile does, on the test database and Redis; stopped on exit."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soundboard.asgi:application"],
            cwd=Path(__file__).resolve().parent,
            env=subprocess_env(**extra_env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.05)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Worker:
    name: str
    sounds_root: Path


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    """A real Celery worker process on every queue, sharing the test database and Redis.

    Tests that use it must commit their data (`django_db(transaction=True)`) so the worker can see it, and
    put audio under `worker.sounds_root` (use the `worker_sounds_root` fixture).
    """

    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    workdir = tmp_path_factory.mktemp("worker")
    sounds_root = workdir / "sounds"
    log_path = workdir / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "soundboard",
                "worker",
                "-Q",
                "default,audio,extraction",
                "-P",
                "solo",
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            # Test-only: the worker may extract from the tests' local media server.
            env=subprocess_env(
                SOUNDS_ROOT=str(sounds_root),
                EXTRACTION_ALLOW_GENERIC="true",
                EXTRACTION_ALLOWED_PRIVATE_IPS="127.0.0.1",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text()}")
        yield Worker(name=name, sounds_root=sounds_root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def worker_sounds_root(celery_worker: Worker, settings: Any) -> Path:
    """SOUNDS_ROOT shared with the worker process, emptied for each test."""
    root = celery_worker.sounds_root
    shutil.rmtree(root, ignore_errors=True)
    for folder in ("soundboard", "text_to_speech", "extracted"):
        (root / "originals" / folder).mkdir(parents=True)
    settings.SOUNDS_ROOT = root
    return root


@dataclass
class PlayerProcess:
    output_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    sounds_root: Path
    room: str = DEFAULT_ROOM

    def restart(self) -> None:
        self.proc = start_player(self.output_dir, self.log_path, self.sounds_root, self.room)

    def wavs(self) -> list[Path]:
        return sorted(self.output_dir.glob("*.wav"))


def start_player(
    output_dir: Path, log_path: Path, sounds_root: Path, room: str = DEFAULT_ROOM
) -> subprocess.Popen[bytes]:
    """`manage.py run_player --room ROOM` rendering to `output_dir`, once its heartbeat says it is ready."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_player", "--room", room, "--output", f"file:{output_dir}"],
            cwd=Path(__file__).parent,
            env=subprocess_env(SOUNDS_ROOT=str(sounds_root)),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # Generous: on a loaded 2-core box Django and libvlc can take half a minute to come up; a player that is
    # ready sooner is used at once (this bounds only how long a broken start is waited for).
    deadline = time.monotonic() + 90
    # This process's own heartbeat says it is ready (a killed predecessor's lingers until it expires).
    while (beat := heartbeat(room)) is None or beat.pid != proc.pid:
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_player(proc)  # a player left running keeps the test database open for the next session
            raise RuntimeError(f"The player did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return proc


def stop_player(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def player_process(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayerProcess]:
    """`manage.py run_player` for real, rendering every playback to a WAV file."""
    workdir = tmp_path_factory.mktemp("player")
    out, log, root = workdir / "out", workdir / "player.log", workdir / "sounds"
    player = PlayerProcess(out, start_player(out, log, root), log, root)
    yield player
    stop_player(player.proc)


@pytest.fixture
def sounds_root(settings: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A private SOUNDS_ROOT with the seed's three originals folders (the player process's, when one runs)."""
    if "player_process" in request.fixturenames:
        root = request.getfixturevalue("player_process").sounds_root
        shutil.rmtree(root, ignore_errors=True)
    else:
        root = tmp_path / "sounds"
    settings.SOUNDS_ROOT = root
    for folder in ("soundboard", "text_to_speech", "extracted"):
        (root / "originals" / folder).mkdir(parents=True)
    return root


@pytest.fixture
def sdb(sounds_root: Path) -> Path:
    return sounds_root / "originals" / "soundboard"
