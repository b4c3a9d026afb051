"""At the door: wrapped private addresses, the guard in every thread, limits before DNS, and trims that
are not numbers."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from credits.models import CreditAction, CreditTransaction
from extraction import services, urlguard
from extraction.models import Extraction
from ratelimits import RateLimited

pytestmark = pytest.mark.django_db

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


class FakeDNS:
    """The outside world's DNS, mocked: counts lookups, answers a public address, or hangs when told to."""

    def __init__(self) -> None:
        self.lookups: list[str] = []
        self.hang = threading.Event()
        self.release = threading.Event()

    def __call__(self, host, port, *args, **kwargs):
        self.lookups.append(host)
        if self.hang.is_set():
            self.release.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("142.250.74.78", port or 443))]


@pytest.fixture
def dns(monkeypatch) -> Iterator[FakeDNS]:
    fake = FakeDNS()
    monkeypatch.setattr(urlguard, "_real_getaddrinfo", fake)
    yield fake
    fake.release.set()


def _wrapped(v4: str) -> list[str]:
    a, b, c, d = (int(x) for x in v4.split("."))
    tail = f"{a * 256 + b:x}:{c * 256 + d:x}"
    return [
        f"64:ff9b::{v4}",  # NAT64, well-known prefix
        f"64:ff9b::{tail}",
        f"64:ff9b:1::{tail}",  # NAT64, local-use prefix
        f"::ffff:0:{v4}",  # SIIT IPv4-translated
        f"::ffff:0:{tail}",
        f"::{v4}",  # IPv4-compatible
        f"::{tail}",
    ]


@pytest.mark.parametrize("literal", [w for v4 in ("127.0.0.1", "10.0.0.1", "169.254.169.254") for w in _wrapped(v4)])
def test_private_ipv4_wrapped_in_ipv6_is_refused(user, literal):
    with pytest.raises(services.ExtractionError, match="private network") as info:
        services.submit(user=user, url=f"http://[{literal}]/a.mp3")
    assert info.value.status == 400
    assert not Extraction.objects.exists()
    assert not CreditTransaction.objects.filter(action=CreditAction.AUDIO_EXTRACTION).exists()


@pytest.mark.parametrize("ip", ["fec0::1", "64:ff9b:1::808:808", "2001:db8::1", "::", "fe80::1", "ff02::1"])
def test_site_local_and_special_ipv6_are_never_public(ip):
    assert not urlguard.is_public(ip)


@pytest.mark.parametrize("ip", ["8.8.8.8", "64:ff9b::8.8.8.8", "::ffff:8.8.8.8", "2a00:1450:4007:80e::200e"])
def test_public_addresses_stay_public_even_wrapped(ip):
    assert urlguard.is_public(ip)


def test_the_guard_covers_every_thread_of_the_process():
    refused: list[BaseException] = []

    def other_thread() -> None:
        try:
            socket.getaddrinfo("127.0.0.1", 80)
        except OSError as exc:
            refused.append(exc)

    with urlguard.guarded():
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        # asyncio resolves in an executor thread: what websockets and async HTTP clients use.
        with pytest.raises(OSError, match="non-public"):
            asyncio.run(_resolve())
    assert len(refused) == 1


async def _resolve() -> object:
    return await asyncio.get_running_loop().getaddrinfo("127.0.0.1", 80)


def test_the_rate_limit_and_cheap_checks_come_before_any_dns_lookup(user, dns, settings):
    settings.EXTRACTION_RATE_LIMIT = "2/m"
    for bad in ("ftp://www.youtube.com/a", "https://exa mple.com/a", "https://" + "a" * 300 + ".com/"):
        with pytest.raises(services.ExtractionError):
            services.submit(user=user, url=bad)
    assert dns.lookups == []
    services.submit(user=user, url=YOUTUBE)
    services.submit(user=user, url=YOUTUBE + "x")
    with pytest.raises(RateLimited) as info:
        services.submit(user=user, url=YOUTUBE + "y")
    assert info.value.status == 429
    assert info.value.retry_after
    assert len(dns.lookups) == 2


def test_a_lookup_that_hangs_is_given_up_quickly(user, dns, monkeypatch):
    monkeypatch.setattr(urlguard, "DNS_TIMEOUT_S", 0.5)
    dns.hang.set()
    started = time.monotonic()
    with pytest.raises(services.ExtractionError, match="did not answer in time"):
        services.submit(user=user, url=YOUTUBE)
    assert time.monotonic() - started < 3
    assert not Extraction.objects.exists()


def _strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("trim", ["NaN", "Infinity", "-Infinity", "1e308", "-1"])
@pytest.mark.parametrize("field", ["trim_start", "trim_end"])
def test_trims_that_are_not_finite_seconds_are_refused_before_any_charge(authed_client, user, dns, field, trim):
    body = f'{{"url": "{YOUTUBE}", "{field}": {trim}}}'
    response = authed_client.post("/api/v1/extractions/", body, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in _strict(response.content.decode())  # type: ignore[operator]
    assert not Extraction.objects.exists()
    user.refresh_from_db()
    assert user.credits == 25


def test_the_page_refuses_trims_that_are_not_numbers(authed_client, dns):
    response = authed_client.post("/extractions/", {"url": YOUTUBE, "trim_start": "nan", "trim_end": "inf"})
    assert response.status_code == 400
    assert not Extraction.objects.exists()


def test_a_stored_job_with_an_infinite_trim_does_not_break_the_list(authed_client, user):
    Extraction.objects.create(url=YOUTUBE, user=user, trim_start=0.0, trim_end=float("inf"))
    response = authed_client.get("/api/v1/extractions/")
    assert response.status_code == 200
    jobs: Any = _strict(response.content.decode())
    [job] = jobs
    assert job["trim_end"] is None
    assert job["trim_start"] == 0.0
