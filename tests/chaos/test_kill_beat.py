"""kill -9 beat: started again, it keeps its schedules (once each) and goes on sending work."""

from __future__ import annotations

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.chaos.harness import Stack, wait_for
from tests.chaos.invariants import assert_nothing_lost

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_killed_comes_back_with_its_schedules_and_keeps_sending(stack: Stack):
    # A schedule of every second, so sending is seen within the test; nothing consumes the default queue here,
    # so each message beat sends stays countable in the broker.
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="chaos-probe", task="live.sweep_presence", interval=every_second)
    broker = stack.redis.client()
    stack.start_beat()
    wait_for(lambda: stack.alive("beat") and broker.llen("default") >= 2, "beat to send", timeout=60)
    stack.kill("beat")
    sent = broker.llen("default")

    stack.restart("beat")
    wait_for(lambda: stack.alive("beat") and broker.llen("default") >= sent + 2, "beat to send again", timeout=60)

    names = list(PeriodicTask.objects.values_list("name", flat=True))
    for name in [*settings.CELERY_BEAT_SCHEDULE, "chaos-probe"]:
        assert names.count(name) == 1, f"{name}: {names.count(name)} rows after the restart"
    assert_nothing_lost([], stack.sounds_root)
