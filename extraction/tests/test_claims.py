"""Jobs are claimed: one run at a time, nothing written by a run that lost its job, limits and lost messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.claims import Lost, Outcome
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from extraction import services
from extraction.models import Extraction, Status

pytestmark = pytest.mark.django_db


def _job(user, **fields) -> Extraction:
    tx = credits.debit(user_id=user.pk, amount=5, action=CreditAction.AUDIO_EXTRACTION)
    return Extraction.objects.create(url="https://x.test/a", user=user, transaction_id=tx.pk, **fields)


def _refunds(user) -> int:
    return CreditTransaction.objects.filter(user=user, action=CreditAction.REFUND).count()


def test_only_one_run_can_hold_a_job(user):
    job = _job(user)
    first = services.claim(job.pk)
    assert isinstance(first, Extraction)
    assert (first.status, first.attempts) == (Status.PROCESSING, 1)
    assert services.claim(job.pk) is Outcome.BUSY  # a redelivered message while the first run beats
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_run_whose_job_was_taken_over_can_change_nothing(user, settings):
    job = _job(user)
    first = services.claim(job.pk)
    assert isinstance(first, Extraction)
    # Its worker went quiet: a redelivery takes the job over.
    Extraction.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    second = services.claim(job.pk)
    assert isinstance(second, Extraction)
    assert second.attempts == 2
    with pytest.raises(Lost):
        services.fail(first, "the old run's failure")
    assert _refunds(user) == 0  # the old run refunded nothing
    job.refresh_from_db()
    assert (job.status, job.claim) == (Status.PROCESSING, second.claim)


def test_past_the_attempt_limit_the_task_gives_up_and_refunds_once(user, settings):
    job = _job(user, attempts=settings.EXTRACTION_MAX_ATTEMPTS)
    assert services.process(job) is Outcome.DONE
    assert services.process(job) is Outcome.DONE  # a second delivery changes nothing
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "several attempts" in job.error
    assert _refunds(user) == 1


def test_a_finished_job_delivered_again_is_left_alone(user):
    job = _job(user, status=Status.COMPLETED)
    assert services.process(job) is Outcome.DONE
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.COMPLETED, 0)


def test_the_sweep_sends_a_new_message_for_a_pending_job_nobody_claimed(user, django_capture_on_commit_callbacks):
    lost = _job(user)
    fresh = _job(user)
    Extraction.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.reap() == {"retried": 0, "failed": 0, "requeued": 1}
        assert services.reap() == {"retried": 0, "failed": 0, "requeued": 0}  # not again every minute
    assert len(callbacks) == 1
    assert callbacks[0].args == (lost.pk,)  # a message for the lost one only, not for the one just queued
    assert Extraction.objects.get(pk=fresh.pk).status == Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_job_that_cannot_be_queued_after_the_debit_is_failed_and_refunded(
    user, local_extraction, media_server, monkeypatch
):
    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # The broker is infrastructure: make it refuse the way a stopped Redis does.
    monkeypatch.setattr("core.jobs.current_app.send_task", broker_down)
    client = Client()
    client.force_login(user)
    response = client.post(
        "/api/v1/extractions/", {"url": f"{media_server.base}/tone.mp3"}, content_type="application/json"
    )
    assert response.status_code == 503
    assert "refunded" in response.json()["detail"]
    user.refresh_from_db()
    assert user.credits == 25
    job = Extraction.objects.get(user=user)
    assert job.status == Status.FAILED
    assert _refunds(user) == 1
