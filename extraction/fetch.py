"""The yt-dlp half of an extraction, run as a child process: `python -m extraction.fetch`.

Why a process of its own: it is the unit the parent can bound and kill. It runs in a new session, so on a
timeout the parent kills the whole process group, ffmpeg post-processors included; it has CPU-time and
file-size limits; and the URL guard is on for every thread it will ever have.

It runs without Django. The parent sends one JSON line of configuration on stdin, then reads JSON events,
one a line, on stdout:
  {"type": "info", "service", "service_id", "title"}  what the link is; the child then waits for a line on
                                                      stdin: "download" to go on, anything else to stop
  {"type": "progress", "percent"}
  {"type": "warning", "message"}                       one of yt-dlp's warnings (a missing JavaScript runtime,
                                                      formats that went missing...): the parent logs and keeps it
  {"type": "done", "file"}                             the converted audio, inside the work folder
  {"type": "refused", "message"}                       a refusal a person can read
  {"type": "error", "message"}                         yt-dlp's own error, to be made readable by the parent
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from extraction import tooling, urlguard

# Only these download in-process, so every connection goes through the URL guard. Anything else (ffmpeg,
# aria2c, curl...) opens connections of its own that the guard never sees.
NATIVE_DOWNLOADERS = ("HttpFD", "HlsFD", "DashSegmentsFD")
# Protocols yt-dlp downloads natively; `m3u8` (without `_native`) means "hand it to ffmpeg".
FORMAT = "bestaudio[protocol^=http]/bestaudio[protocol=m3u8_native]/best[protocol^=http]/best[protocol=m3u8_native]"
PROGRESS_EVERY_S = 0.5


class Refused(Exception):
    """A refusal a person can read; raised from yt-dlp's callbacks, so it stops the download at once."""


@dataclass(frozen=True)
class Config:
    url: str
    workdir: str
    allowed_extractors: list[str]
    allowed_private_ips: list[str]
    max_duration_s: int
    max_filesize: int
    audio_format: str
    audio_bitrate: str
    cpu_seconds: int
    parent_pid: int


@dataclass
class Job:
    config: Config
    out: IO[str]
    seen_ids: set[str] = field(default_factory=set)
    refused: str | None = None
    last_progress: float = 0.0

    def emit(self, kind: str, **data: Any) -> None:
        self.out.write(json.dumps({"type": kind, **data}) + "\n")
        self.out.flush()

    def refuse(self, reason: str) -> str:
        self.refused = self.refused or reason
        return reason


def refusal(info: dict[str, Any], *, incomplete: bool, max_duration_s: int) -> str | None:
    """Why this media must not be downloaded, or None. Judged on what the extractor says, before any download."""
    live_status = info.get("live_status")
    if live_status == "is_upcoming" or info.get("is_upcoming"):
        return "That has not started yet (a premiere or a scheduled stream); try again once it is published."
    if live_status == "is_live" or info.get("is_live"):
        return "Live streams can't be extracted: paste a link to a finished recording."
    if live_status == "post_live":
        return "That stream has just ended and the site is still processing it; try again later."
    duration = info.get("duration")
    if isinstance(duration, int | float) and duration > max_duration_s:
        return f"That is longer than {max_duration_s // 60} minutes."
    if duration is None and not incomplete and info.get("_type", "video") == "video" and not _direct_file(info):
        # Without a length, nothing tells a never-ending stream from a song until it has been downloaded.
        return "The length of that media is unknown, so it can't be extracted."
    return None


def _direct_file(info: dict[str, Any]) -> bool:
    # A plain file link (the generic extractor, test-only) has no length before download; the size cap while
    # downloading and the decode check afterwards bound it instead.
    return bool(info.get("direct")) and info.get("extractor_key") == "Generic"


def _downloader_name(fmt: dict[str, Any], params: dict[str, Any]) -> str:
    from yt_dlp.downloader import get_suitable_downloader  # noqa: PLC0415  (loads only in the child)

    return str(get_suitable_downloader(dict(fmt), params).__name__)


def options(job: Job) -> dict[str, Any]:
    """Everything fixed by the server: no exec, no external downloaders, no proxy, no cookies."""
    config = job.config
    params: dict[str, Any] = {}

    def match_filter(info: dict[str, Any], *, incomplete: bool = False) -> str | None:
        reason = refusal(info, incomplete=bool(incomplete), max_duration_s=config.max_duration_s)
        if reason is None and info.get("_type", "video") == "video" and info.get("id"):
            job.seen_ids.add(str(info["id"]))
            if len(job.seen_ids) > 1:
                reason = "That link holds several items: paste a link to one."
        if reason is None and not incomplete:
            # Formats are chosen: refuse any that only an external program could fetch.
            for fmt in info.get("requested_formats") or [info]:
                if _downloader_name(fmt, params) not in NATIVE_DOWNLOADERS:
                    reason = "That media can only be fetched in a way that is not allowed (live or protected)."
        return job.refuse(reason) if reason else None

    def progress(d: dict[str, Any]) -> None:
        if d.get("status") == "finished":
            _refuse_playlist_file(Path(str(d.get("filename") or "")))
        if d.get("status") != "downloading":
            return
        done = int(d.get("downloaded_bytes") or 0)
        total = int(d.get("total_bytes") or d.get("total_bytes_estimate") or 0)
        if done > config.max_filesize or (d.get("total_bytes") and total > config.max_filesize):
            # max_filesize only sees sizes announced up front; this catches streams that never say.
            raise Refused(job.refuse(_too_large(config)))
        now = time.monotonic()
        if now - job.last_progress >= PROGRESS_EVERY_S:
            job.last_progress = now
            job.emit("progress", percent=min(99, 100 * done // total) if total else 0)

    params.update(
        {
            "paths": {"home": config.workdir, "temp": config.workdir},
            "outtmpl": {"default": "media.%(ext)s", "thumbnail": "thumb.%(ext)s"},
            "format": FORMAT,
            "allowed_extractors": [f"^{name}$" for name in config.allowed_extractors],
            "match_filter": match_filter,
            "noplaylist": True,
            "writethumbnail": True,
            # Quiet screen output only: warnings still reach the logger below, which hands them to the parent.
            "quiet": True,
            "noprogress": True,
            # YouTube's formats sit behind JavaScript challenges: solved by yt-dlp-ejs's scripts in the deno
            # installed from PyPI. Nothing is fetched at run time (no remote solver scripts).
            "js_runtimes": {name: dict(options) for name, options in tooling.JS_RUNTIMES.items()},
            "remote_components": set(),
            "cookiefile": None,
            "proxy": "",  # never a proxy from the environment: it would see (and reach) what the guard refuses
            "external_downloader": {"default": "native"},
            "hls_prefer_native": True,
            "concurrent_fragment_downloads": 1,
            "socket_timeout": 20,
            "retries": 2,
            "max_filesize": config.max_filesize,
            "progress_hooks": [progress],
            "logger": _Log(job),
            "postprocessors": [
                {
                    "key": "FFmpegExtractAudio",
                    "preferredcodec": config.audio_format,
                    "preferredquality": config.audio_bitrate.rstrip("k"),
                }
            ],
            "compat_opts": set(),
        }
    )
    return params


# Text formats in which ffmpeg follows links of its own (HLS, DASH, concat lists, SDP...): a "media file" that
# is one of these would make the ffmpeg post-processors connect where the URL guard never looks.
_LINK_FOLLOWING_MAGIC = (b"#EXTM3U", b"#EXT-X-", b"ffconcat", b"<?xml", b"<MPD", b"[playlist]", b"v=0")


def _refuse_playlist_file(path: Path) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return
    if head.startswith(_LINK_FOLLOWING_MAGIC):
        raise Refused("The link is a list of other links, not audio.")


def _too_large(config: Config) -> str:
    return f"That is larger than {config.max_filesize // (1024 * 1024)} MB."


class _Log:
    """yt-dlp's chatter goes to stderr (the parent keeps it in the job's log file); its warnings also go to the
    parent as events, never silenced: a warning is how yt-dlp says that formats went missing (no JavaScript
    runtime, a site change that needs `make update-ytdlp`)."""

    MAX_WARNINGS = 20  # a chatty extractor must not flood the parent's log

    def __init__(self, job: Job) -> None:
        self.job = job
        self.warnings = 0

    def debug(self, message: str) -> None:
        print(message, file=sys.stderr)
        if "larger than max-filesize" in message:
            # yt-dlp refused an announced size before downloading: it only says so on screen.
            self.job.refuse(_too_large(self.job.config))

    info = error = debug

    def warning(self, message: str) -> None:
        print(f"WARNING: {message}", file=sys.stderr)
        self.warnings += 1
        if self.warnings <= self.MAX_WARNINGS:
            self.job.emit("warning", message=str(message)[:1000])


def _refuse_external(self: Any, filename: str, info_dict: dict[str, Any]) -> bool:
    # The last line of defence: yt-dlp hands some formats to ffmpeg at download time, after looking at the
    # manifest (encryption other than AES-128, DRM markers). Refuse rather than let ffmpeg connect.
    raise Refused("That media can only be fetched in a way that is not allowed (live or protected).")


def run(config: Config, out: IO[str], commands: IO[str]) -> int:
    import yt_dlp  # noqa: PLC0415  (YoutubeDL, its downloaders and post-processors load only in the child)
    from yt_dlp.downloader.external import ExternalFD  # noqa: PLC0415  (as above)

    ExternalFD.real_download = _refuse_external
    urlguard.configure(allowed_private_ips=config.allowed_private_ips)
    urlguard.guard_process()
    job = Job(config, out)
    try:
        with yt_dlp.YoutubeDL(options(job)) as ydl:
            # Read what the link is without downloading (nor resolving formats); the parent decides.
            info = ydl.extract_info(config.url, download=False, process=False)
            if info is None:
                raise Refused("Nothing could be read from that link.")
            if info.get("_type") in ("playlist", "multi_video"):
                raise Refused("Playlists are not supported: paste a link to one item.")
            resolved = info.get("_type", "video") == "video"
            reason = refusal(info, incomplete=not resolved, max_duration_s=config.max_duration_s)
            if reason:
                raise Refused(reason)
            job.emit(
                "info",
                service=str(info.get("extractor_key") or "").lower(),
                service_id=str(info.get("id") or ""),
                title=str(info.get("title") or config.url)[:300],
            )
            if commands.readline().strip() != "download":
                return 0
            ydl.process_ie_result(info, download=True)
        if job.refused:
            raise Refused(job.refused)
        media = Path(config.workdir) / f"media.{config.audio_format}"
        if not media.is_file():
            raise Refused("The download produced no audio.")
        job.emit("done", file=media.name)
        return 0
    except Refused as exc:
        job.emit("refused", message=job.refused or str(exc))
    except yt_dlp.utils.DownloadError as exc:
        job.emit("refused", message=job.refused) if job.refused else job.emit("error", message=str(exc))
    return 1


def limit_self(config: Config) -> None:
    """Limits inherited by every program this process starts (ffmpeg post-processors included)."""
    resource.setrlimit(resource.RLIMIT_CPU, (config.cpu_seconds, config.cpu_seconds))
    # Room for the download itself (refused past max_filesize by the progress hook) and the converted audio.
    fsize = config.max_filesize + 64 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    # Die with the parent: a Celery worker killed half-way must not leave a download running, nor the ffmpeg
    # post-processors yt-dlp starts (a parent-death signal is not inherited by them). So the kernel sends
    # SIGTERM when the parent goes, and the handler kills this whole process group (this process leads it, see
    # extraction.runner) with SIGKILL. Python runs the handler as soon as the main thread wakes, waiting on
    # ffmpeg included; past that, the CPU limit above still bounds everything.
    signal.signal(signal.SIGTERM, _kill_own_group)
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != config.parent_pid:  # the parent died before prctl took effect
        _kill_own_group(signal.SIGTERM, None)


def _kill_own_group(signum: int, frame: object) -> None:
    # Only a group this process leads: started any other way, it must not take its starter's group with it.
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


_PR_SET_PDEATHSIG = 1


def main() -> int:
    # The protocol owns the real stdout; anything else that prints (yt-dlp, libraries) goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    config = Config(**json.loads(sys.stdin.readline()))
    limit_self(config)
    return run(config, out, sys.stdin)


if __name__ == "__main__":
    sys.exit(main())
