"""/health/ and `manage.py health` when parts are missing: no player runs in this module."""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from extraction import tooling
from health.checks import CeleryQueue, FreeDisk, Redis, free_bytes
from health.tests.helpers import manage_health
from player.client import is_online

pytestmark = pytest.mark.django_db
PLAYER = "Player(room='main')"


@pytest.fixture(autouse=True)
def _quick_celery_check(settings: Any) -> None:
    settings.HEALTH_CELERY_TIMEOUT_S = 0.3
    settings.HEALTH_MIN_FREE_DISK_MB = 1


@pytest.fixture(autouse=True)
def _no_player() -> None:
    # A player left over from another module would make these tests prove nothing.
    assert not is_online()


def test_health_is_503_naming_the_player_when_none_runs() -> None:
    response = Client().get("/health/", headers={"accept": "application/json"})

    assert response.status_code == 503
    report = response.json()
    assert report[PLAYER].startswith("Unavailable: No heartbeat")
    assert report["Database(alias='default')"] == "OK"
    assert report["Redis(role='cache')"] == report["Redis(role='broker')"] == report["Redis(role='channels')"] == "OK"
    assert report["FreeDisk()"] == "OK"


def test_health_answers_anonymous_monitors_in_html_text_and_json() -> None:
    client = Client()  # nobody signed in: monitors have no account

    page = client.get("/health/", headers={"accept": "text/html"})
    text = client.get("/health/?format=text")
    as_json = client.get("/health/?format=json")

    assert page.status_code == text.status_code == as_json.status_code == 503
    assert html.escape(PLAYER) in page.content.decode()
    assert f"{PLAYER}: Unavailable" in text.content.decode()
    assert json.loads(as_json.content)[PLAYER].startswith("Unavailable")


def test_health_reveals_no_paths_addresses_or_secrets(settings: Any) -> None:
    settings.HEALTH_MIN_FREE_DISK_MB = 10**9  # a failing disk check, to see its message too

    body = Client().get("/health/?format=text").content.decode()

    assert "FreeDisk(): Unavailable: Sounds disk:" in body
    for secret in (str(settings.SOUNDS_ROOT), settings.REDIS_URL, "127.0.0.1", "redis://", settings.SECRET_KEY):
        assert secret not in body


def test_the_disk_check_fails_below_its_threshold(settings: Any) -> None:
    free_mb = free_bytes(settings.SOUNDS_ROOT) // (1024 * 1024)
    settings.HEALTH_MIN_FREE_DISK_MB = free_mb + 1000

    result = asyncio.run(FreeDisk().get_result())

    assert result.error is not None
    assert f"below the {free_mb + 1000} MB threshold" in str(result.error)
    settings.HEALTH_MIN_FREE_DISK_MB = max(free_mb - 1000, 0)
    assert asyncio.run(FreeDisk().get_result()).error is None


def test_a_queue_no_worker_consumes_is_reported() -> None:
    result = asyncio.run(CeleryQueue(queue="nobody-consumes-this").get_result())

    assert result.error is not None
    assert "No worker consumes the 'nobody-consumes-this' queue" in str(result.error)


def test_a_redis_that_does_not_answer_is_reported_without_its_address(settings: Any) -> None:
    # Port 1 on this machine: nothing listens, the connection is refused for real.
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"},
    }

    result = asyncio.run(Redis(role="cache").get_result())

    assert result.error is not None
    assert str(result.error) == "Unavailable: Redis refused a write (ConnectionError)"
    assert asyncio.run(Redis(role="broker").get_result()).error is None


def test_manage_health_exits_1_naming_the_player() -> None:
    done = manage_health(HEALTH_CELERY_TIMEOUT_S="0.3", HEALTH_MIN_FREE_DISK_MB="1")

    assert done.returncode == 1, done.stderr
    assert f"{PLAYER}: Unavailable: No heartbeat" in done.stdout
    assert "Database(alias='default'): OK" in done.stdout
    # The line names every check that is down: other rooms an earlier test left in the database may come first.
    down = next(line for line in done.stderr.splitlines() if "Down: " in line)
    assert PLAYER in down.split("Down: ", 1)[1].split(", ")


def test_yt_dlp_without_its_javascript_runtime_is_reported_by_name(
    monkeypatch: pytest.MonkeyPatch, staff: User
) -> None:
    monkeypatch.setattr(tooling, "JS_RUNTIMES", {"bun": {}})  # a runtime this machine does not have
    tooling.detect(fresh=True)
    client = Client()
    client.force_login(staff)
    try:
        report = client.get("/health/?format=json").json()
        public = Client().get("/health/?format=json").json()
    finally:
        monkeypatch.undo()
        tooling.detect(fresh=True)

    [name] = [key for key in report if key.startswith("YtDlp(")]
    assert name == f"YtDlp(version='{tooling.detect().ytdlp_version}', js_runtime='none')"
    assert report[name].startswith("Unavailable: yt-dlp's JavaScript runtime: none found")
    assert public["YtDlp()"] == report[name]
