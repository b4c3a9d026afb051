"""Oversized request bodies against a real daphne: refused from the headers, or cut off as they grow."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from conftest import daphne

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_blocker, tmp_path_factory) -> Iterator[int]:
    log = tmp_path_factory.mktemp("edge") / "daphne.log"
    with (
        django_db_blocker.unblock(),
        daphne(log, REQUEST_MAX_BODY_MB="1", REQUEST_MAX_ANONYMOUS_BODY_KB="16") as (port, _),
    ):
        yield port


def _send_headers(port: int, headers: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(headers.encode())
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _post(path: str, length: str, extra: str = "") -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
        f"{length}{extra}\r\n"
    )


def test_a_huge_declared_body_from_anyone_is_refused_at_once_without_reading_it(server):
    start = time.monotonic()
    sock = _send_headers(server, _post("/accounts/login/", "Content-Length: 200000000\r\n"))
    answer = _read_all(sock)  # the server answers and closes without waiting for a single body byte
    elapsed = time.monotonic() - start
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"detail"' in answer
    assert elapsed < 1.0


def test_a_signed_in_request_has_a_larger_but_bounded_limit(server):
    cookie = "Cookie: sessionid=whatever\r\n"
    sock = _send_headers(server, _post("/api/v1/sounds/upload", "Content-Length: 200000000\r\n", cookie))
    assert _read_all(sock).startswith(b"HTTP/1.1 413")
    sock.close()
    # Under the signed-in limit but over the anonymous one: passes the edge (and meets Django's own checks).
    body = b"x" * 100_000
    sock = _send_headers(server, _post("/api/v1/sounds/upload", f"Content-Length: {len(body)}\r\n", cookie))
    sock.sendall(body)
    answer = _read_all(sock)
    sock.close()
    assert not answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_chunked_body_that_grows_past_the_limit_is_cut_off(server):
    sock = _send_headers(server, _post("/accounts/login/", "Transfer-Encoding: chunked\r\n"))
    chunk = b"y" * 4096
    sent = 0
    answer = b""
    try:
        for _ in range(2000):  # up to 8 MB; the limit here is 16 KB
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
    except OSError:
        pass  # the server closed the connection on us: what we want
    try:
        answer = _read_all(sock)
    except OSError:
        answer = answer or b""
    sock.close()
    assert sent < 8_192_000
    assert answer.startswith(b"HTTP/1.1 413") or answer == b""


def test_a_small_anonymous_form_still_reaches_django(server):
    body = b"login=a%40b.c&password=x"
    sock = _send_headers(
        server,
        "POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n",
    )
    sock.sendall(body)
    answer = _read_all(sock)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 403")  # Django's CSRF check: the body got through the edge
