"""/health/ and `manage.py health` with every part running: the real player process and a real Celery worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from conftest import PlayerProcess, Worker
from extraction import tooling
from health.checks import free_bytes
from health.tests.helpers import manage_health

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture(autouse=True)
def _everything_runs(player_process: PlayerProcess, celery_worker: Worker, settings: Any) -> None:
    settings.HEALTH_MIN_FREE_DISK_MB = 1
    settings.METRICS_TOKEN = "metrics-token"


def test_health_is_200_when_every_part_runs() -> None:
    response = Client().get("/health/?format=json")

    assert response.status_code == 200, response.content
    report = response.json()
    assert report == {
        "Database(alias='default')": "OK",
        "Redis(role='cache')": "OK",
        "Redis(role='broker')": "OK",
        "Redis(role='channels')": "OK",
        "Player(room='main')": "OK",
        "CeleryQueue(queue='default')": "OK",
        "CeleryQueue(queue='audio')": "OK",
        "CeleryQueue(queue='extraction')": "OK",
        "FreeDisk()": "OK",
        "YtDlp()": "OK",
    }


def test_staff_read_the_tools_versions_off_health(staff: Any) -> None:
    client = Client()
    client.force_login(staff)

    report = client.get("/health/?format=json").json()

    assert report[_ytdlp_check_name()] == "OK"
    # Anonymous monitors get the same verdict without the versions (they tell an attacker which bug to try).
    assert "version" not in Client().get("/health/?format=text").content.decode()


def _ytdlp_check_name() -> str:
    found = tooling.detect()
    assert found.js_runtime is not None
    return f"YtDlp(version='{found.ytdlp_version}', js_runtime='deno {found.js_runtime.version}')"


def test_health_is_503_naming_only_the_disk_when_it_is_full(settings: Any) -> None:
    settings.HEALTH_MIN_FREE_DISK_MB = free_bytes(settings.SOUNDS_ROOT) // (1024 * 1024) + 1000

    response = Client().get("/health/", headers={"accept": "application/json"})

    assert response.status_code == 503
    down = {name: state for name, state in response.json().items() if state != "OK"}
    assert list(down) == ["FreeDisk()"]
    assert down["FreeDisk()"].startswith("Unavailable: Sounds disk:")


def test_manage_health_exits_0_when_every_part_runs() -> None:
    done = manage_health(HEALTH_MIN_FREE_DISK_MB="1")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Player(room='main'): OK" in done.stdout
    assert "CeleryQueue(queue='extraction'): OK" in done.stdout
    assert f"{_ytdlp_check_name()}: OK" in done.stdout
    assert "Unavailable" not in done.stdout


def test_manage_health_exits_1_naming_a_full_disk() -> None:
    done = manage_health(HEALTH_MIN_FREE_DISK_MB=str(10**9))

    assert done.returncode == 1
    assert "FreeDisk(): Unavailable: Sounds disk:" in done.stdout
    assert "Player(room='main'): OK" in done.stdout


def test_metrics_say_the_player_is_up() -> None:
    response = Client().get("/metrics", headers={"authorization": "Bearer metrics-token"})

    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    [sample] = families["soundboard_player_up"].samples
    assert sample.labels == {"room": "main"}
    assert sample.value == 1
