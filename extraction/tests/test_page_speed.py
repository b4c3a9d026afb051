"""Issue 16, item 15: staff's Extractions page answers at once; the workers line comes after, by itself."""

from __future__ import annotations

import time

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_page_does_not_wait_for_the_workers_and_the_line_loads_after(staff, monkeypatch):
    asked: list[float] = []

    def slow_broadcast(timeout: float = 0.5) -> list[str]:
        asked.append(timeout)
        return ["extract@host"]

    monkeypatch.setattr("extraction.views.extraction_workers", slow_broadcast)
    monkeypatch.setattr("extraction.status.extraction_workers", slow_broadcast)
    client = Client()
    client.force_login(staff)
    started = time.monotonic()
    page = client.get("/extractions/").content.decode()
    assert asked == []  # the page never asked the workers
    assert time.monotonic() - started < 5
    assert 'hx-get="/extractions/workers/" hx-trigger="load"' in page
    line = client.get("/extractions/workers/", headers={"HX-Request": "true"}).content.decode()
    assert "Workers: extract@host" in line
    assert asked == [0.5]


def test_the_workers_line_is_for_staff_only(authed_client):
    assert authed_client.get("/extractions/workers/").status_code == 403
