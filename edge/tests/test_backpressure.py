"""A download against a real daphne: the server reads the file only as fast as the client takes it.

Without backpressure daphne accepts every chunk the application sends and keeps what the socket can't take in
its own memory: a client that stops reading made the server read the whole file into RAM. The server's reads
are counted by the kernel (`rchar` in /proc/PID/io), so the test sees how much of the file it pulled in.
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import daphne
from sounds.models import Sound
from sounds.tests import media
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _rchar(pid: int) -> int:
    """Bytes the process has read through read(2) and friends, files and sockets alike."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar")


@pytest.fixture
def big_sound(settings, tmp_path) -> Sound:
    settings.SOUNDS_ROOT = tmp_path / "sounds"
    path = media.noise(tmp_path / "sounds" / "originals" / "soundboard" / "big.wav", 240)  # ~21 MB
    return SoundFactory.create(filename="big.wav", size=path.stat().st_size)


@pytest.fixture
def server(big_sound, settings, tmp_path) -> Iterator[tuple[int, int]]:
    """(port, pid) of a daphne on the test database and SOUNDS_ROOT."""
    with daphne(tmp_path / "daphne.log", SOUNDS_ROOT=str(settings.SOUNDS_ROOT)) as started:
        yield started


def _session_cookie() -> str:
    client = Client()
    client.force_login(UserFactory.create())
    return client.cookies["sessionid"].value


def _get(port: int, path: str, cookie: str, *, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # before connect: sets the window
    sock.connect(("127.0.0.1", port))
    sock.settimeout(30)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n\r\n".encode())
    return sock


def _head_and_start(sock: socket.socket) -> tuple[dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
    headers[":status"] = lines[0].split()[1]
    return headers, body


def _read_body(sock: socket.socket, already: bytes, length: int) -> bytes:
    parts, got = [already], len(already)
    while got < length:
        chunk = sock.recv(1 << 20)
        assert chunk, f"connection closed after {got} of {length} bytes"
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _ranged(port: int, sound_id: int, cookie: str, first: int, last: int) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"GET /api/v1/files/sounds/{sound_id}/preview HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: sessionid={cookie}\r\nRange: bytes={first}-{last}\r\n\r\n".encode()
    )
    headers, start = _head_and_start(sock)
    assert headers[":status"] == "206"
    body = _read_body(sock, start, last - first + 1)
    sock.close()
    return body


def _settled_reads(pid: int) -> int:
    """The server's read count once it stops moving: the point where a stalled client holds it up.

    Polls until two readings 100 ms apart agree (a steady state, not a fixed sleep); a server without
    backpressure settles too, but only after it has read the whole file.
    """
    deadline = time.monotonic() + 20
    last = _rchar(pid)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = _rchar(pid)
        if now == last:
            return now
        last = now
    raise AssertionError("the server never stopped reading")


def test_a_client_that_stops_reading_stops_the_server_reading_the_file(server, big_sound):
    port, pid = server
    size = big_sound.original_path.stat().st_size
    cookie = _session_cookie()
    original = big_sound.original_path.read_bytes()
    # First a small range, so the code the first request imports is read before the count starts.
    assert _ranged(port, big_sound.pk, cookie, 0, 99) == original[:100]
    before = _rchar(pid)
    stalled = _get(port, f"/api/v1/files/sounds/{big_sound.pk}/download", cookie, receive_buffer=64 * 1024)
    headers, start = _head_and_start(stalled)
    assert headers[":status"] == "200"
    assert int(headers["content-length"]) == size
    pulled = _settled_reads(pid) - before
    # What is in flight: the kernel's send buffer (autotuned up to tcp_wmem's 4 MB), Twisted's 64 KB, a chunk
    # or two being read; not the 21 MB file.
    assert pulled < 6 * 2**20, f"the server read {pulled} bytes for a client that took {len(start)}"

    # Held up on one download, the server still answers another request at once (it waits, it doesn't block).
    assert _ranged(port, big_sound.pk, cookie, 1000, 1999) == original[1000:2000]

    # The stalled client reads on: the rest arrives whole and in order.
    body = _read_body(stalled, start, size)
    stalled.close()
    assert hashlib.sha256(body).digest() == hashlib.sha256(original).digest()


def test_two_downloads_in_turn_on_one_connection_both_arrive_whole(server, big_sound):
    """The flow control is per response: the next request on a kept-alive connection gets its own."""
    port, _ = server
    size = big_sound.original_path.stat().st_size
    original_hash = hashlib.sha256(big_sound.original_path.read_bytes()).digest()
    cookie = _session_cookie()
    sock = _get(port, f"/api/v1/files/sounds/{big_sound.pk}/download", cookie)
    for turn in range(2):
        if turn:
            sock.sendall(
                f"GET /api/v1/files/sounds/{big_sound.pk}/download HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Cookie: sessionid={cookie}\r\n\r\n".encode()
            )
        headers, start = _head_and_start(sock)
        assert headers[":status"] == "200"
        assert hashlib.sha256(_read_body(sock, start, size)).digest() == original_hash
    sock.close()
