"""Per-IP limits key on the real client: a forged X-Forwarded-For must not hand out fresh addresses."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.test import RequestFactory

from accounts.clientip import client_ip
from conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]
LOCKED = "Too many failed login attempts"


@pytest.mark.parametrize(
    ("count", "header", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.9"),  # no proxy: the header is the client's own words
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's forged entry comes first
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (1, "not-an-ip", "10.0.0.9"),
        (1, "", "10.0.0.9"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "192.0.2.1:8080", "192.0.2.1"),
    ],
)
def test_client_ip_believes_only_the_entries_of_trusted_proxies(settings, count, header, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=header)
    assert client_ip(request) == expected


def test_client_ip_without_any_address_is_one_shared_bucket(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) == "unknown"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _procfile_web_command() -> str:
    match = re.search(r"^web:\s*(.+)$", (ROOT / "Procfile").read_text(), re.MULTILINE)
    assert match, "Procfile has no web process"
    return match.group(1)


def _start_web(tmp_path: Path, trusted_proxies: int) -> Iterator[str]:
    """The web process exactly as the Procfile starts it (its shell line, its flags)."""
    port = _free_port()
    env = subprocess_env(HOST="127.0.0.1", PORT=str(port), TRUSTED_PROXY_COUNT=str(trusted_proxies), DEBUG="false")
    env["SECURE_SSL_REDIRECT"] = "false"
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["bash", "-c", f"exec {_procfile_web_command()}"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/accounts/login/", timeout=30)
                break
            except requests.ConnectionError:  # not listening yet (a slow first page is waited for, not retried)
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def web_direct(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    yield from _start_web(tmp_path, 0)


@pytest.fixture
def web_behind_one_proxy(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    yield from _start_web(tmp_path, 1)


def _failed_login(session: requests.Session, url: str, email: str, forwarded_for: str) -> str:
    session.get(f"{url}/accounts/login/", timeout=10)
    response = session.post(
        f"{url}/accounts/login/",
        data={"login": email, "password": "wrong-password-1", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"X-Forwarded-For": forwarded_for, "Referer": f"{url}/accounts/login/"},
        timeout=10,
    )
    return response.text


@pytest.mark.django_db(transaction=True)
def test_password_spraying_with_forged_forwarded_for_is_still_locked_out(web_direct):
    # One password tried against many accounts (so the per-account limit never trips), each attempt claiming
    # a new address: only the per-IP limit (10/m) can stop it, and only if the header is ignored.
    session = requests.Session()
    pages = [_failed_login(session, web_direct, f"victim{i}@example.com", f"198.51.100.{i}") for i in range(11)]
    assert LOCKED not in pages[0]
    assert LOCKED in pages[-1]


@pytest.mark.django_db(transaction=True)
def test_behind_a_proxy_the_address_it_appended_is_the_one_limited(web_behind_one_proxy):
    url = web_behind_one_proxy
    attacker = requests.Session()
    # The proxy appends the real peer (203.0.113.5) after whatever the client wrote.
    pages = [_failed_login(attacker, url, f"victim{i}@example.com", f"198.51.100.{i}, 203.0.113.5") for i in range(11)]
    assert LOCKED in pages[-1]
    # Someone else behind the same proxy is not punished for it.
    assert LOCKED not in _failed_login(requests.Session(), url, "someone@example.com", "203.0.113.6")
