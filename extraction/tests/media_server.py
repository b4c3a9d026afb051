"""A local media server standing in for the internet: the tests never leave this machine."""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
import time
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
            if self.path.startswith("/nolength/"):
                self._without_length(root / self.path.removeprefix("/nolength/"))
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

        def _without_length(self, path: Path) -> None:
            """A stream that never says how big it is (like a radio): only the bytes themselves count."""
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for i in range(0, len(data), 65536):
                    self.wfile.write(data[i : i + 65536])
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

    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=2", "-c:v", "libx264", "-an",
         str(root / "silent-video.mp4")],
        check=True,
    )  # fmt: skip
    media.tone(root / "big.mp3", 200.0, freq=220)  # about 3 MB
    _hls(root / "hls")
    # An HTML page that sends the player elsewhere: yt-dlp returns a `url` result, resolved later.
    (root / "page.html").write_text('<html><head><meta http-equiv="refresh" content="0;url=/hls/live.m3u8">')
    return root


def _hls(folder: Path) -> None:
    """HLS fixtures: a finished recording, the same as a live stream, AES-128 and SAMPLE-AES encrypted copies."""

    folder.mkdir()
    source = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=500:duration=6", "-c:a", "aac"]
    hls = ["-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "vod"]
    subprocess.run([*source, *hls, "-hls_segment_filename", str(folder / "seg%d.ts"), str(folder / "vod.m3u8")],
                   check=True)  # fmt: skip
    vod = (folder / "vod.m3u8").read_text()
    # A live playlist: no end marker and no VOD type, so more segments may always come.
    live = "".join(
        line for line in vod.splitlines(keepends=True) if "ENDLIST" not in line and "PLAYLIST-TYPE" not in line
    )
    (folder / "live.m3u8").write_text(live)
    # SAMPLE-AES: yt-dlp's native downloader can't decrypt it and would hand the stream to ffmpeg.
    (folder / "sample-aes.m3u8").write_text(
        vod.replace("#EXTINF", '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="sample.key"\n#EXTINF', 1)
    )
    (folder / "aes.key").write_bytes(bytes(range(16)))
    (folder / "keyinfo").write_text(f"aes.key\n{folder / 'aes.key'}\n")
    subprocess.run([*source, *hls, "-hls_key_info_file", str(folder / "keyinfo"),
                    "-hls_segment_filename", str(folder / "aes%d.ts"), str(folder / "aes.m3u8")],
                   check=True)  # fmt: skip


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
    # A "file" that is really an HLS playlist pointing at a private address: ffmpeg would follow it.
    smuggled = f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{blocked_server.base}/secret.ts\n#EXT-X-ENDLIST\n"
    routes = {
        "/hop.mp3": (302, {"Location": f"{blocked_server.base}/secret.mp3"}, b""),
        "/smuggled.mp3": (200, {"Content-Type": "audio/mpeg"}, smuggled.encode()),
    }
    server, base = _serve(media_files, "127.0.0.1", hits, routes)
    yield MediaServer(base, media_files, hits)
    server.shutdown()


@pytest.fixture
def local_extraction(settings, sounds_root):
    """The test-only configuration: the generic extractor on, and 127.0.0.1 (only) reachable."""
    settings.EXTRACTION_ALLOW_GENERIC = True
    settings.EXTRACTION_ALLOWED_PRIVATE_IPS = ["127.0.0.1"]
    return sounds_root
