"""Every dangerous link is refused at the door: 400, no job, no charge."""

from __future__ import annotations

import socket

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from credits.models import CreditAction, CreditTransaction
from extraction import services, urlguard
from extraction.models import Extraction

pytestmark = pytest.mark.django_db

FAKE_DNS = {
    "evil.example": "10.1.2.3",
    "www.youtube.com": "142.250.74.78",
    "youtube.com": "142.250.74.78",
    "soundcloud.com": "18.238.80.3",
    "example.com": "93.184.216.34",
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """The outside world's DNS, mocked: public names get public addresses, one name lies."""
    real = urlguard._real_getaddrinfo

    def lookup(host, port, *args, **kwargs):
        if host in FAKE_DNS:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (FAKE_DNS[host], port or 443))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(urlguard, "_real_getaddrinfo", lookup)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "Only http and https"),
        ("https://example.com/" + "a" * 2100, "at most 2048"),
        ("file:///etc/passwd", "Only http and https"),
        ("data:text/plain,hello", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("ftp://example.com/a.mp3", "Only http and https"),
        ("gopher://example.com/", "Only http and https"),
        ("http://127.0.0.1/a.mp3", "private network"),
        ("http://localhost/a.mp3", "private network"),
        ("http://[::1]/a.mp3", "private network"),
        ("http://[::ffff:127.0.0.1]/a.mp3", "private network"),
        ("http://0x7f000001/a.mp3", "private network"),
        ("http://2130706433/a.mp3", "private network"),
        ("http://169.254.169.254/latest/meta-data/", "private network"),
        ("http://10.0.0.1/a.mp3", "private network"),
        ("http://[fd00::1]/a.mp3", "private network"),
        ("http://evil.example/a.mp3", "private network"),
        ("https://user:pw@example.com/a.mp3", "user name or password"),
        ("https://example.com/video.mp4", "not supported"),
        ("https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG", "Playlists"),
        ("https://soundcloud.com/forss/sets/soulhack", "Playlists"),
    ],
)
def test_dangerous_or_unsupported_links_are_refused(user, url, reason):
    with pytest.raises(services.ExtractionError, match=reason) as info:
        services.submit(user=user, url=url)
    assert info.value.status == 400
    assert not Extraction.objects.exists()
    assert not CreditTransaction.objects.filter(action=CreditAction.AUDIO_EXTRACTION).exists()


def test_the_production_defaults_refuse_loopback_and_the_generic_extractor(user, settings):
    assert settings.EXTRACTION_ALLOW_GENERIC is False
    assert settings.EXTRACTION_ALLOWED_PRIVATE_IPS == []
    with pytest.raises(services.ExtractionError, match="private network"):
        services.submit(user=user, url="http://127.0.0.1:8000/tone.mp3")
    with pytest.raises(services.ExtractionError, match="not supported"):
        services.submit(user=user, url="https://example.com/tone.mp3")


def test_a_supported_link_is_accepted_charged_and_queued(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = services.submit(user=user, url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", trim_start=5, trim_end=12)
    assert (job.service, job.service_id, job.status) == ("youtube", "dQw4w9WgXcQ", "pending")
    assert len(callbacks) == 2  # the balance's live update and the job
    user.refresh_from_db()
    assert user.credits == 20


@pytest.mark.parametrize(("start", "end", "reason"), [(-1, None, "above zero"), (10, 5, "after the start")])
def test_bad_trim_times_are_refused(user, start, end, reason):
    with pytest.raises(services.ExtractionError, match=reason):
        services.submit(user=user, url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", trim_start=start, trim_end=end)


def test_at_most_three_jobs_in_flight_per_user(user):
    for i in range(3):
        services.submit(user=user, url=f"https://www.youtube.com/watch?v=aaaaaaaaaa{i}")
    with pytest.raises(services.ExtractionError, match="already have 3") as info:
        services.submit(user=user, url="https://www.youtube.com/watch?v=bbbbbbbbbbb")
    assert info.value.status == 429


def test_the_api_answers_202_and_keeps_jobs_private(authed_client, user):

    response = authed_client.post(
        "/api/v1/extractions/", {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, content_type="application/json"
    )
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert [j["id"] for j in authed_client.get("/api/v1/extractions/").json()] == [job_id]
    stranger = Client()
    stranger.force_login(UserFactory.create())
    assert stranger.get(f"/api/v1/extractions/{job_id}").status_code == 404
    assert stranger.get("/api/v1/extractions/").json() == []
    bad = authed_client.post("/api/v1/extractions/", {"url": "file:///etc/passwd"}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["detail"] == "Only http and https links are allowed."
    assert authed_client.get("/api/v1/admin/extractions/status").status_code == 403


def test_the_page_shows_why_a_link_is_refused(authed_client):
    response = authed_client.post("/extractions/", {"url": "http://169.254.169.254/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "private network" in response["HX-Trigger"]  # a toast, through the one refusal path


def test_the_connection_guard_blocks_private_addresses_only_while_active():
    with urlguard.guarded(), pytest.raises(OSError, match="non-public"):
        socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)  # outside the guard, normal life goes on
