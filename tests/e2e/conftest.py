"""Browser tests: the real app (daphne, Redis, a fresh SQLite database) driven by Debian's chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Overridable so that several checkouts can run browser tests side by side on one Redis.
# Side by side test processes (pytest-xdist) each take the database after their own (soundboard/settings.py).
E2E_REDIS_URL = os.environ.get("E2E_REDIS_URL", f"redis://127.0.0.1:6379/{10 + 2 * settings.TEST_PROCESS}")
# The flags a closed network needs: without them chromium keeps calling home and stalls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveApp:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env
        self.audio_dir: Path | None = None

    def manage(self, *args: str) -> str:
        """Run a management command against the app's database (to set up data a page cannot)."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    workdir = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "TESTING": "true",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{workdir / 'e2e.sqlite3'}",
        # A Redis database of its own, emptied first: leftovers of the unit tests' queues must not reach
        # this app's worker.
        "TEST_REDIS_URL": E2E_REDIS_URL,
        "MEDIA_ROOT": str(workdir / "media"),
        "VAR_DIR": str(workdir / "var"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PLAYER_AUDIO_OUTPUT": f"file:{workdir / 'audio'}",
        # Test-only: extractions may come from the tests' local media server.
        "EXTRACTION_ALLOW_GENERIC": "true",
        "EXTRACTION_ALLOWED_PRIVATE_IPS": "127.0.0.1",
        # The tests' users are plain unless a test makes one staff (the first sign-up rule has its own tests).
        "FIRST_ACCOUNT_IS_STAFF": "false",
    }

    redis.Redis.from_url(E2E_REDIS_URL).flushdb()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    app = LiveApp(url, env)
    app.manage("migrate", "--noinput", "-v", "0")
    log = open(workdir / "daphne.log", "wb")  # noqa: SIM115  (kept open for the server's lifetime)
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soundboard.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/accounts/login/", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "daphne.log").read_text()) from None
                time.sleep(0.1)
        # The player process, as `make run` starts it, rendering what it plays to WAV files.
        player = subprocess.Popen(
            [sys.executable, "manage.py", "run_player"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        app.audio_dir = workdir / "audio"
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "soundboard", "worker", "-Q", "default,audio,extraction",
             "-P", "solo", "-n", f"e2e-{os.getpid()}@localhost", "--without-gossip", "--without-mingle",
             "-l", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        app.shell(
            "from player.client import is_online; import time\n"
            "deadline = time.monotonic() + 30\n"
            "while not is_online():\n    assert time.monotonic() < deadline\n    time.sleep(0.05)"
        )
        yield app
    finally:
        for proc in [p for p in (locals().get("player"), locals().get("worker"), server) if p is not None]:
            proc.terminate()
            proc.wait(timeout=20)
        log.close()


# One browser per test file, not per session: Playwright's sync API keeps an asyncio loop running in this thread
# while it is open, and Django then refuses the ORM ("cannot call this from an async context") in every later
# test of the process. Run alone, the browser tests came last; side by side (pytest-xdist) other files follow.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _report_errors(page: Page) -> None:
    def script_error(error: Error) -> None:
        print(f"[page error] {page.url}: {error}")

    def console_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            print(f"[console error] {page.url}: {message.text}")

    page.on("pageerror", script_error)
    page.on("console", console_error)


@pytest.fixture
def new_context(browser: Browser, live_app: LiveApp) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(**kwargs: object) -> BrowserContext:
        context = browser.new_context(base_url=live_app.url, **kwargs)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        # A page's script errors, in the test's output when it fails (a flake's likeliest witness).
        context.on("page", _report_errors)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


_counter = iter(range(1, 1_000_000))


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}-{os.getpid()}-{int(time.time() * 1000)}@example.com"


PASSWORD = "a-long-enough-passw0rd"


def sign_up(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/")


# The local media server that stands in for the internet in extraction tests.
from extraction.tests.media_server import blocked_server, media_files, media_server  # noqa: E402,F401
