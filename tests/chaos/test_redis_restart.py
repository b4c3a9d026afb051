"""Redis restarted in the middle of an extraction: every process recovers on its own, nothing is lost."""

from __future__ import annotations

import pytest

from extraction import services as extraction
from extraction.models import Status
from extraction.tests.media_server import MediaServer
from sounds.services import queue_normalization
from tests.chaos.common import (
    frame_with,
    funded_user,
    heard_or_closed,
    library_sound,
    live_socket,
    new_sound,
    token_for,
)
from tests.chaos.harness import Stack, wait_for
from tests.chaos.invariants import assert_nothing_lost, jobs_settled, sweep_as_beat

pytestmark = pytest.mark.django_db(transaction=True)


def test_after_a_redis_restart_mid_extraction_every_process_recovers_on_its_own(
    stack: Stack, media_server: MediaServer
):
    stack.start_worker("extractor", "extraction")
    stack.start_worker("worker", "default,audio")
    stack.start_player()
    stack.start_web()
    user = funded_user()
    token = token_for(user)
    sound = library_sound(stack.sounds_root, "Restart bell", 0.5)
    play = f"/api/v1/sounds/play/{sound.pk}"
    assert stack.post(play, token) == 200
    with live_socket(stack, user) as before:
        job = extraction.submit(user=user, url=f"{media_server.base}/slow/long.mp3")

        def downloading() -> bool:
            job.refresh_from_db()
            return job.stage == "downloading"

        wait_for(downloading, "the download to be under way")

        stack.redis.restart()

        # The player's heartbeat comes back by itself: plays are possible again within seconds.
        wait_for(stack.player_online, "the player's heartbeat after the restart", timeout=10)
        # The web process serves a play again. A page open before the restart either still hears about it, or
        # was closed, never left silently deaf: the page reconnects and re-renders (static/js/app.js).
        assert stack.post(play, token) == 200
        assert heard_or_closed(before, "Restart bell", "played")
    with live_socket(stack, user) as again:
        assert stack.post(play, token) == 200
        frame_with(again, "Restart bell", "played")
    # The extraction under way finishes; the workers take new work without being restarted.
    wait_for(jobs_settled, "the extraction to end", timeout=90, every=0.2)
    job.refresh_from_db()
    assert job.status == Status.COMPLETED, job.error
    second = extraction.submit(user=user, url=f"{media_server.base}/tone.mp3")
    wait_for(jobs_settled, "a new extraction (and its normalization) to end", timeout=60, every=0.2)
    second.refresh_from_db()
    assert second.status == Status.COMPLETED, second.error
    fresh = new_sound(stack.sounds_root, "Late chime", 2.0)
    queue_normalization([fresh.pk])
    wait_for(jobs_settled, "the audio worker to normalize a new sound", timeout=60, every=0.2)
    fresh.refresh_from_db()
    assert fresh.is_normalized
    sweep_as_beat()
    assert_nothing_lost([user], stack.sounds_root)
    for name in ("extractor", "worker", "player", "web"):
        assert stack.alive(name)
