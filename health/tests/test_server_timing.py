"""Server-Timing: a request's stage stamps (core.timing), answered only when SERVER_TIMING is on."""

from __future__ import annotations

import pytest
from django.test import Client

from core import timing


def test_the_header_lists_each_stage_in_time_order_then_the_start_on_the_monotonic_clock():
    stamps = [("start", 100.0), ("auth", 100.002), ("player_due", 100.010), ("answer", 100.0065)]
    assert timing.header(stamps) == ('auth;dur=2.000, answer;dur=4.500, player_due;dur=3.500, clock;desc="100.000000"')


def test_marks_outside_a_timed_request_are_dropped():
    timing.mark("debit")  # no timed request: nothing to add to, nothing raised
    token = timing.start()
    timing.mark("debit")
    timing.mark("player_open", 1.5)
    stamps = timing.stop(token)
    assert [name for name, _ in stamps] == ["start", "debit", "player_open"]
    assert stamps[2][1] == 1.5
    timing.mark("late")
    assert timing.header([]) == ""


@pytest.mark.django_db
def test_answers_say_nothing_of_their_stages_by_default(authed_client):
    assert "Server-Timing" not in authed_client.get("/api/v1/me")


@pytest.mark.django_db
def test_with_server_timing_on_an_api_answer_times_its_auth(settings, user):
    settings.SERVER_TIMING = True
    client = Client()  # a new client builds its middleware chain with the setting on
    client.force_login(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    parts = [part.strip() for part in response["Server-Timing"].split(",")]
    assert [part.split(";")[0] for part in parts] == ["auth", "respond", "clock"]
    assert all(float(part.split("dur=")[1]) >= 0 for part in parts[:-1])
