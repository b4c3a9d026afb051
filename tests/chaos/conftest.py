"""Chaos tests: real processes killed with SIGKILL mid-work, and a Redis restarted under them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import jobs
from extraction.tests.media_server import blocked_server, media_files, media_server
from tests.chaos.harness import PrivateRedis, Stack

__all__ = ["blocked_server", "media_files", "media_server", "stack"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)


@pytest.fixture
def stack(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """A private Redis and the processes a test starts on it; everything is stopped afterwards.

    The test process shares the database and SOUNDS_ROOT with them. Work it hands out (a submitted link, what a
    sweep re-sends) goes through `core.jobs.enqueue` as in production, pointed at the private broker.
    """
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    chaos = Stack(tmp_path, server)
    settings.SOUNDS_ROOT = chaos.sounds_root
    settings.EXTRACTION_ALLOW_GENERIC = True
    settings.EXTRACTION_ALLOWED_PRIVATE_IPS = ["127.0.0.1"]
    monkeypatch.setattr(jobs, "current_app", chaos.celery)
    try:
        yield chaos
    finally:
        chaos.stop_all()
        server.stop()
        chaos.celery.close()
