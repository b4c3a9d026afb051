"""Hostile links, performed for real against the local media server: live streams, formats only ffmpeg would
fetch, endless downloads, slow jobs, proxies from the environment."""

from __future__ import annotations

import logging
import os
import re
import time

import pytest

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


def segment_hits(server) -> list[str]:
    return [p for p in server.hits if p.endswith(".ts")]


def test_a_live_hls_stream_is_refused_before_any_segment_and_refunded(user, local_extraction, media_server):
    started = time.monotonic()
    job = run(user, f"{media_server.base}/hls/live.m3u8")
    assert job.status == Status.FAILED
    assert "Live streams can't be extracted" in job.error
    assert time.monotonic() - started < 30  # not after the task's 25-minute limit
    assert segment_hits(media_server) == []
    assert refunded(user)
    assert not any((local_extraction / "temp").iterdir())


def test_a_page_that_leads_to_a_live_stream_is_refused_after_resolution(user, local_extraction, media_server):
    job = run(user, f"{media_server.base}/page.html")
    assert job.status == Status.FAILED
    assert "Live streams can't be extracted" in job.error
    assert "/hls/live.m3u8" in [p.split("?")[0] for p in media_server.hits]
    assert segment_hits(media_server) == []
    assert refunded(user)


@pytest.mark.parametrize("playlist", ["vod.m3u8", "aes.m3u8"])
def test_finished_and_aes128_hls_recordings_download_natively(user, local_extraction, media_server, playlist):
    # External downloaders are refused outright in the child, so completing proves yt-dlp's own HLS code ran.
    job = run(user, f"{media_server.base}/hls/{playlist}")
    assert job.status == Status.COMPLETED, job.error
    assert abs(Sound.objects.get(pk=job.sound_id or 0).duration - 6000) < 300
    assert segment_hits(media_server)


def test_hls_that_only_ffmpeg_could_fetch_is_refused_without_ffmpeg_connecting(user, local_extraction, media_server):
    job = run(user, f"{media_server.base}/hls/sample-aes.m3u8")
    assert job.status == Status.FAILED
    assert "not allowed" in job.error
    assert segment_hits(media_server) == []
    assert refunded(user)


@pytest.mark.parametrize("path", ["/big.mp3", "/nolength/big.mp3"])
def test_a_download_past_the_size_limit_is_stopped_and_refunded(user, local_extraction, media_server, settings, path):
    settings.EXTRACTION_MAX_FILESIZE_MB = 1
    job = run(user, f"{media_server.base}{path}")
    assert job.status == Status.FAILED
    assert "larger than 1 MB" in job.error
    assert refunded(user)
    assert not Sound.objects.exists()
    assert not any((local_extraction / "temp").iterdir())


def test_a_job_past_its_time_limit_is_killed_with_its_process_group(
    user, local_extraction, media_server, settings, caplog
):
    settings.EXTRACTION_FETCH_TIMEOUT_S = 2
    caplog.set_level(logging.INFO, logger="extraction.runner")
    started = time.monotonic()
    job = run(user, f"{media_server.base}/slow/long.mp3")  # trickles out in about 4 s
    assert time.monotonic() - started < 10
    assert job.status == Status.FAILED
    assert "took longer than" in job.error
    assert refunded(user)
    pid = int(re.search(r"pid (\d+)", caplog.text)[1])  # type: ignore[index]
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # nothing of the group is left
    assert not any((local_extraction / "temp").iterdir())


def test_a_proxy_from_the_environment_is_never_used(user, local_extraction, media_server, blocked_server, monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, blocked_server.base)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    job = run(user, f"{media_server.base}/tone.mp3")
    assert job.status == Status.COMPLETED, job.error
    assert blocked_server.hits == []


def test_a_file_that_is_really_a_playlist_never_makes_ffmpeg_connect(
    user, local_extraction, media_server, blocked_server
):
    job = run(user, f"{media_server.base}/smuggled.mp3")
    assert blocked_server.hits == []
    assert job.status == Status.FAILED
    assert "list of other links" in job.error
    assert refunded(user)
