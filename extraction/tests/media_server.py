"""A local media server standing in for the internet: the tests never leave this machine."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sounds.tests import media


@dataclass
class MediaServer:
    base: str
    root: Path
    hits: list[str] = field(default_factory=list)


def _serve(
    root: Path, host: str, hits: list[str], routes: dict[str, tuple[int, dict[str, str], bytes]]
) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            return None

        def do_GET(self) -> None:
            hits.append(self.path)
            if self.path.startswith("/slow/"):
                self._slow(root / self.path.removeprefix("/slow/"))
                return
            route = routes.get(self.path.split("?")[0])
            if route is None:
                super().do_GET()
                return
            status, headers, body = route
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _slow(self, path: Path) -> None:
            """Trickle a file out, so a test has time to kill the worker half-way through."""
            import time

            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                for i in range(0, len(data), 8192):
                    self.wfile.write(data[i : i + 8192])
                    time.sleep(0.1)
            except OSError:
                return

        def do_HEAD(self) -> None:
            hits.append(self.path)
            super().do_HEAD()

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


@pytest.fixture(scope="session")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("www")
    media.tone(root / "tone.mp3", 8.0, freq=440)
    media.tone(root / "long.mp3", 20.0, freq=330)
    (root / "garbage.mp3").write_text("<html>Not found, but said with a 200</html>" * 20)
    import subprocess

    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=2", "-c:v", "libx264", "-an",
         str(root / "silent-video.mp4")],
        check=True,
    )  # fmt: skip
    return root


@pytest.fixture
def blocked_server() -> Iterator[MediaServer]:
    """A server on 127.0.0.2, an address the test configuration still blocks: it must never be reached."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("127.0.0.2 is not available on this machine")
    hits: list[str] = []
    server, base = _serve(Path("/nonexistent"), "127.0.0.2", hits, {})
    yield MediaServer(base, Path("/nonexistent"), hits)
    server.shutdown()


@pytest.fixture
def media_server(media_files: Path, blocked_server: MediaServer) -> Iterator[MediaServer]:
    hits: list[str] = []
    routes = {"/hop.mp3": (302, {"Location": f"{blocked_server.base}/secret.mp3"}, b"")}
    server, base = _serve(media_files, "127.0.0.1", hits, routes)
    yield MediaServer(base, media_files, hits)
    server.shutdown()


@pytest.fixture
def local_extraction(settings, sounds_root):
    """The test-only configuration: the generic extractor on, and 127.0.0.1 (only) reachable."""
    settings.EXTRACTION_ALLOW_GENERIC = True
    settings.EXTRACTION_ALLOWED_PRIVATE_IPS = ["127.0.0.1"]
    return sounds_root
