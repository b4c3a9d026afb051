"""/metrics: guarded by METRICS_TOKEN, Prometheus text with the business figures read at scrape time."""

from __future__ import annotations

from typing import Any

import pytest
from celery import current_app
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import UserFactory
from conftest import Worker
from credits import services as credits
from credits.models import CreditAction
from extraction.models import Extraction, Status
from player.client import is_online
from sounds.models import PlaySource
from sounds.services import record_play
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db
TOKEN = "a-long-random-metrics-token"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(autouse=True)
def _token(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN


def scrape() -> Samples:
    response = Client().get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_metrics_do_not_exist_without_a_token_setting(settings: Any) -> None:
    settings.METRICS_TOKEN = ""

    response = Client().get("/metrics", headers={"authorization": "Bearer "})

    assert response.status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token() -> None:
    client = Client()

    missing = client.get("/metrics")
    not_bearer = client.get("/metrics", headers={"authorization": f"Basic {TOKEN}"})
    wrong = client.get("/metrics", headers={"authorization": "Bearer not-the-token"})

    assert missing.status_code == not_bearer.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 403
    assert b"soundboard_" not in missing.content + not_bearer.content + wrong.content


def test_metrics_with_the_token_are_prometheus_text_naming_every_figure() -> None:
    response = Client().get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert names >= {
        "soundboard_plays",
        "soundboard_credits_debited",
        "soundboard_credits_refunded",
        "soundboard_extractions",
        "soundboard_sounds_unnormalized",
        "soundboard_player_up",
        "soundboard_celery_queue_length",
        "soundboard_http_request_duration_seconds",
    }


def test_a_recorded_play_increments_the_plays_metric() -> None:
    sound = SoundFactory.create()
    before = scrape()

    assert record_play(sound_id=sound.pk, user_id=None, source=PlaySource.API, room="main")

    after = scrape()
    assert (
        value(after, "soundboard_plays_total", source="api")
        == value(before, "soundboard_plays_total", source="api") + 1
    )
    assert value(after, "soundboard_plays_total", source="board") == value(
        before, "soundboard_plays_total", source="board"
    )


def test_debits_and_refunds_come_from_the_ledger() -> None:
    user = UserFactory.create(credits=10)
    before = scrape()

    debit = credits.debit(user_id=user.pk, amount=3, action=CreditAction.TEXT_TO_SPEECH)
    credits.refund(debit, reason="the job failed")
    credits.debit(user_id=user.pk, amount=2, action=CreditAction.TEXT_TO_SPEECH)

    after = scrape()
    debited = "soundboard_credits_debited_total"
    assert (
        value(after, debited, action="text_to_speech")
        == before.get((debited, frozenset({("action", "text_to_speech")})), 0) + 5
    )
    refunded = "soundboard_credits_refunded_total"
    assert value(after, refunded) == value(before, refunded) + 3


def test_jobs_are_counted_by_state() -> None:
    user = UserFactory.create()
    for status in (Status.PENDING, Status.PENDING, Status.FAILED):
        Extraction.objects.create(url="https://example.com/a", user=user, status=status)
    SoundFactory.create(is_normalized=True, normalization_error="")
    SoundFactory.create(is_normalized=False, normalization_error="")
    SoundFactory.create(is_normalized=False, normalization_error="ffmpeg could not decode it")

    samples = scrape()

    assert value(samples, "soundboard_extractions", status="pending") == 2
    assert value(samples, "soundboard_extractions", status="failed") == 1
    assert value(samples, "soundboard_extractions", status="completed") == 0
    assert value(samples, "soundboard_sounds_unnormalized", state="pending") == 1
    assert value(samples, "soundboard_sounds_unnormalized", state="failed") == 1


def test_the_player_is_down_without_a_heartbeat() -> None:
    assert not is_online()

    assert value(scrape(), "soundboard_player_up", room="main") == 0


def test_request_latency_is_observed_per_request() -> None:
    count = "soundboard_http_request_duration_seconds_count"
    before = value(scrape(), count, method="GET")

    Client().get("/accounts/login/")

    # The first scrape's own request and the login page, each timed once.
    assert value(scrape(), count, method="GET") == before + 2


def test_queue_length_counts_the_messages_waiting_in_the_broker(celery_worker: Worker) -> None:
    control = current_app.control
    # Hold the worker off the default queue so a message stays there to be counted. The solo worker reads its
    # control messages between tasks: a task left by an earlier test can hold the reply past the 1 s default,
    # and the worker would then take the message before it is counted. Wait for its word.
    stopped = control.cancel_consumer("default", destination=[celery_worker.name], reply=True, timeout=30)
    assert stopped, "the worker never confirmed it stopped reading the default queue"
    try:
        before = value(scrape(), "soundboard_celery_queue_length", queue="default")
        current_app.send_task("live.sweep_presence")

        assert value(scrape(), "soundboard_celery_queue_length", queue="default") == before + 1
    finally:
        control.add_consumer("default", destination=[celery_worker.name], reply=True, timeout=30)
