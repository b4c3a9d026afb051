"""Celery for real: a worker process runs a task whose event reaches a connected websocket."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from accounts.tests.factories import UserFactory
from live.tasks import notify_user
from live.tests.sockets import connect, receive_until
from soundboard.celery import app


def test_the_celery_app_is_configured_for_safe_delivery():
    conf = app.conf
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_time_limit < visibility
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert {q.name for q in conf.task_queues} == {"default", "audio", "extraction"}


def test_tasks_are_routed_to_their_queues():
    router = app.amqp.router
    assert router.route({}, "sounds.normalize_sound")["queue"].name == "audio"
    assert router.route({}, "extraction.process")["queue"].name == "extraction"
    assert router.route({}, "live.notify_user")["queue"].name == "default"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
async def test_a_task_in_a_real_worker_sends_an_event_to_a_connected_websocket(celery_worker):
    user = await sync_to_async(UserFactory.create)()
    ws, connected = await connect(user)
    assert connected
    await sync_to_async(notify_user.delay)(user_id=user.pk, message="done in the worker", level="success")
    frame = await receive_until(ws, "done in the worker", timeout=30)
    assert "toast--success" in frame
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
def test_beat_schedules_are_synced_from_code_without_duplicates(settings):
    DatabaseScheduler(app=app)
    DatabaseScheduler(app=app)  # a restart
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names
    for name in settings.CELERY_BEAT_SCHEDULE:
        assert PeriodicTask.objects.filter(name=name).count() == 1
