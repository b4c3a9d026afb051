"""The whole pipeline against a local media server (the test-only configuration allows it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from extraction import services
from extraction.models import Extraction, Status
from sounds.models import Sound

pytestmark = pytest.mark.django_db


def run(user, url, **kw) -> Extraction:
    job = services.submit(user=user, url=url, **kw)
    services.process(job)
    job.refresh_from_db()
    return job


def refunded(user) -> bool:
    return CreditTransaction.objects.filter(user=user, action=CreditAction.REFUND).exists()


def test_a_link_becomes_a_normalized_extracted_sound(user, local_extraction, media_server):
    job = run(user, f"{media_server.base}/tone.mp3")
    assert job.status == Status.COMPLETED, job.error
    assert job.attempts == 1
    sound = Sound.objects.get(pk=job.sound_id or 0)
    assert sound.type == "EXT"
    assert sound.is_normalized
    assert (local_extraction / "originals" / "extracted" / sound.filename).is_file()
    assert abs(sound.duration - 8000) < 150
    assert not any((local_extraction / "temp").iterdir())  # temporary files always cleaned
    user.refresh_from_db()
    assert user.credits == 20
    assert not refunded(user)


def test_the_same_audio_twice_links_the_existing_sound_and_refunds(user, local_extraction, media_server):
    first = run(user, f"{media_server.base}/tone.mp3")
    second = run(user, f"{media_server.base}/tone.mp3?again=1")
    assert second.status == Status.COMPLETED
    assert second.sound_id == first.sound_id
    assert "already in the library" in second.error
    assert Sound.objects.count() == 1
    assert refunded(user)


def test_a_clip_can_be_cut_out(user, local_extraction, media_server):
    job = run(user, f"{media_server.base}/long.mp3", trim_start=2, trim_end=5)
    assert job.status == Status.COMPLETED, job.error
    assert abs(Sound.objects.get(pk=job.sound_id or 0).duration - 3000) < 150


def test_a_redirect_to_a_blocked_address_fails_without_contacting_it(
    user, local_extraction, media_server, blocked_server
):
    job = run(user, f"{media_server.base}/hop.mp3")
    assert job.status == Status.FAILED
    assert job.error == "The link led to a private address, which is not allowed."
    assert blocked_server.hits == []
    assert "/hop.mp3" in media_server.hits
    assert refunded(user)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/garbage.mp3", "no usable audio"),
        ("/silent-video.mp4", "no usable audio"),
        ("/missing.mp3", "The site answered 404 File not found."),
    ],
)
def test_garbage_errors_and_silent_videos_fail_readably_with_a_refund(
    user, local_extraction, media_server, path, words
):
    job = run(user, f"{media_server.base}{path}")
    assert job.status == Status.FAILED
    assert words.lower() in job.error.lower(), job.error
    assert refunded(user)
    assert not Sound.objects.exists()


def test_a_sound_over_the_length_limit_fails(user, local_extraction, media_server, settings):
    settings.EXTRACTION_MAX_DURATION_S = 10
    job = run(user, f"{media_server.base}/long.mp3")
    assert job.status == Status.FAILED
    assert "longer than" in job.error
    assert refunded(user)


def test_the_reaper_retries_stuck_jobs_then_gives_up_with_a_refund(user, django_capture_on_commit_callbacks):
    old = timezone.now() - timedelta(hours=1)
    stuck = Extraction.objects.create(
        url="https://x.test/a", user=user, status=Status.PROCESSING, attempts=1, heartbeat_at=old
    )

    tx = credits.debit(user_id=user.pk, amount=5, action=CreditAction.AUDIO_EXTRACTION)
    dead = Extraction.objects.create(
        url="https://x.test/b", user=user, status=Status.PROCESSING, attempts=3, heartbeat_at=old, transaction_id=tx.pk
    )
    fresh = Extraction.objects.create(
        url="https://x.test/c", user=user, status=Status.PROCESSING, attempts=1, heartbeat_at=timezone.now()
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.reap() == {"retried": 1, "failed": 1, "requeued": 0}
    stuck.refresh_from_db()
    dead.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == Status.PENDING
    assert dead.status == Status.FAILED
    assert fresh.status == Status.PROCESSING
    assert len(callbacks) >= 1
    assert refunded(user)
