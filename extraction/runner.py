"""The parent side of a download: start `extraction.fetch` in its own process group, bound it, relay events.

On a timeout (or any way out of `fetch`), the whole process group is killed: the child and every ffmpeg it
started. The caller removes the work folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from extraction.fetch import Config

logger = logging.getLogger(__name__)

# Environment names that would send the child's connections through a proxy: never passed on.
_PROXY_NAMES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}


class FetchFailed(Exception):
    def __init__(self, message: str, *, readable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        # False: yt-dlp's own words, to be made readable by the caller.
        self.readable = readable


@dataclass(frozen=True)
class Info:
    service: str
    service_id: str
    title: str


def _reader(stream: IO[str], events: queue.Queue[dict[str, Any] | None]) -> None:
    for line in stream:
        try:
            events.put(json.loads(line))
        except ValueError:
            logger.warning("extraction.fetch said something unexpected: %r", line[:200])
    events.put(None)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def fetch(
    config: Config,
    *,
    timeout: float,
    on_info: Callable[[Info], bool],
    on_progress: Callable[[int], None],
    on_warning: Callable[[str], None] | None = None,
) -> Path:
    """Run the child to its end; return the audio file, or raise FetchFailed.

    `on_info` sees what the link is before anything is downloaded and answers whether to go on. yt-dlp's
    warnings are logged here at warning level and handed to `on_warning` (the job keeps them for staff).
    """
    workdir = Path(config.workdir)
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_NAMES}
    with open(workdir / "fetch.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "extraction.fetch"],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,  # its own process group, so one signal reaches ffmpeg too
        )
    logger.info("Extraction fetch started: pid %s", proc.pid)
    assert proc.stdin is not None
    assert proc.stdout is not None
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, events), daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        proc.stdin.write(json.dumps(asdict(config)) + "\n")
        proc.stdin.flush()
        while True:
            try:
                event = events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise FetchFailed(f"The download took longer than {int(timeout) // 60 or 1} minutes.") from None
            if event is None:
                raise FetchFailed(_died(proc, config, timeout))
            kind = event.get("type")
            if kind == "info":
                go = on_info(Info(str(event["service"]), str(event["service_id"]), str(event["title"])))
                proc.stdin.write("download\n" if go else "stop\n")
                proc.stdin.flush()
                if not go:
                    raise Stopped
            elif kind == "progress":
                on_progress(int(event.get("percent") or 0))
            elif kind == "warning":
                message = str(event.get("message") or "")
                logger.warning("yt-dlp warned (%s): %s", config.url[:200], message)
                if on_warning is not None:
                    on_warning(message)
            elif kind == "done":
                return _inside(workdir, str(event["file"]))
            elif kind == "refused":
                raise FetchFailed(str(event["message"]))
            elif kind == "error":
                raise FetchFailed(str(event["message"]), readable=False)
    finally:
        _kill_group(proc.pid)
        proc.wait()
        with contextlib.suppress(OSError):
            proc.stdin.close()


class Stopped(Exception):
    """The caller declined after seeing the info (a duplicate): not a failure."""


def _died(proc: subprocess.Popen[str], config: Config, timeout: float) -> str:
    code = proc.wait()
    logger.warning("extraction.fetch exited with %s: %s", code, _tail(Path(config.workdir) / "fetch.log"))
    if code == -signal.SIGXFSZ:
        return f"That is larger than {config.max_filesize // (1024 * 1024)} MB."
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"The download took longer than {int(timeout) // 60 or 1} minutes."
    return "The download stopped unexpectedly."


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-1000:]
    except OSError:
        return ""


def _inside(workdir: Path, name: str) -> Path:
    path = (workdir / name).resolve()
    if path.parent != workdir.resolve() or not path.is_file():
        raise FetchFailed("The download produced no audio.")
    return path
