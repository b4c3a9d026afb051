"""Facts about audio files: hash, size, duration, and whether the content really is decodable audio."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import mutagen
from django.conf import settings

from sounds import limits

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
FFPROBE_TIMEOUT_S = 30


def file_hash(path: Path) -> str:
    """SHA-256 of a file, read in chunks so a large file never sits in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_size(path: Path) -> int:
    return path.stat().st_size


@dataclass(frozen=True)
class AudioInfo:
    duration_ms: int
    format_name: str  # container as ffprobe or mutagen names it: mp3, wav, flac, ogg, mp4, …
    codec: str
    sample_rate: int | None
    channels: int | None


class NotAudioError(Exception):
    """The file is not decodable audio; the message says why in words a person understands."""


def _mutagen_info(path: Path) -> AudioInfo | None:
    try:
        audio = mutagen.File(path)
    except Exception:
        return None
    if audio is None or audio.info is None:
        return None
    length = getattr(audio.info, "length", 0) or 0
    if not math.isfinite(length) or length <= 0:
        return None
    kind = type(audio).__name__.lower()
    return AudioInfo(
        duration_ms=round(length * 1000),
        format_name=kind,
        codec=kind,
        sample_rate=getattr(audio.info, "sample_rate", None),
        channels=getattr(audio.info, "channels", None),
    )


def ffprobe(path: Path) -> AudioInfo:
    """Ask ffprobe; raises NotAudioError when there is no decodable audio stream."""
    try:
        result = limits.run(
            [
                "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                "-select_streams", "a", str(path),
            ],
            timeout=FFPROBE_TIMEOUT_S,
        )  # fmt: skip
    except limits.ChildLimitExceeded as exc:
        raise NotAudioError(f"probing the file failed: {exc}") from exc
    if result.returncode != 0:
        # ffprobe's own wording names the path and internals; a person only needs to know it isn't media.
        logger.info("ffprobe refused %s: %s", path, result.stderr.strip()[-300:])
        raise NotAudioError("not a media file we can read")
    data = json.loads(result.stdout or "{}")
    streams = data.get("streams") or []
    if not streams:
        raise NotAudioError("the file has no audio stream")
    stream = streams[0]
    fmt = data.get("format") or {}
    raw_duration = stream.get("duration") or fmt.get("duration")
    try:
        duration = float(str(raw_duration))
    except (TypeError, ValueError):
        duration = 0.0
    if not math.isfinite(duration) or duration <= 0:
        raise NotAudioError("the audio has no length")
    return AudioInfo(
        duration_ms=round(duration * 1000),
        format_name=str(fmt.get("format_name", "")).split(",")[0],
        codec=str(stream.get("codec_name", "")),
        sample_rate=int(stream["sample_rate"]) if stream.get("sample_rate") else None,
        channels=stream.get("channels"),
    )


def probe(path: Path) -> AudioInfo:
    """What the file holds, judged by content: mutagen's header parse first (fast), ffprobe otherwise.

    Raises NotAudioError for empty, truncated, corrupt or non-audio files.
    """
    if file_size(path) == 0:
        raise NotAudioError("the file is empty")
    return _mutagen_info(path) or ffprobe(path)


def duration_ms(path: Path) -> int:
    return probe(path).duration_ms


def is_decodable(path: Path) -> bool:
    """True when ffmpeg can actually decode audio from the file (headers alone can lie)."""
    try:
        result = limits.run(
            ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0", "-t", "2", "-f", "null", "-"],
            timeout=FFPROBE_TIMEOUT_S,
        )  # fmt: skip
    except limits.ChildLimitExceeded:
        return False
    return result.returncode == 0 and "Invalid data" not in result.stderr


# --- What may come in and go out ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Container:
    extension: str
    content_type: str
    label: str


# The containers we accept, keyed by the name ffprobe gives the *content* (the first of its comma list). The
# stored extension and the served type come from here, never from the name a client sent.
CONTAINERS: dict[str, Container] = {
    "mp3": Container(".mp3", "audio/mpeg", "MP3"),
    "wav": Container(".wav", "audio/wav", "WAV"),
    "flac": Container(".flac", "audio/flac", "FLAC"),
    "ogg": Container(".ogg", "audio/ogg", "Ogg (Vorbis, Opus)"),
    "mov": Container(".m4a", "audio/mp4", "M4A/AAC"),
    "aac": Container(".aac", "audio/aac", "AAC"),
    "matroska": Container(".webm", "audio/webm", "WebM"),
    "aiff": Container(".aiff", "audio/aiff", "AIFF"),
}
ACCEPTED_FORMATS = ", ".join(dict.fromkeys(c.label for c in CONTAINERS.values()))
# Extensions we serve with an audio type: the stored ones, plus what scans and extraction write.
AUDIO_CONTENT_TYPES: dict[str, str] = {
    **{c.extension: c.content_type for c in CONTAINERS.values()},
    ".opus": "audio/ogg", ".oga": "audio/ogg", ".wave": "audio/wav", ".aif": "audio/aiff",
}  # fmt: skip


class UnsupportedContainer(NotAudioError):
    pass


def container_for(format_name: str) -> Container:
    """The accepted container ffprobe named (AudioInfo.format_name), or UnsupportedContainer."""
    container = CONTAINERS.get(format_name)
    if container is None:
        raise UnsupportedContainer(f"use {ACCEPTED_FORMATS}")
    return container


def decoded_duration_ms(path: Path, *, cap_s: float) -> int:
    """How long the audio really is, found by decoding it (a header can claim 1 s for hours of audio).

    Decoding stops at `cap_s`: a result above the caller's limit only has to show the limit is passed.
    Raises NotAudioError when nothing decodes.
    """
    try:
        result = limits.run(
            [
                "ffmpeg", "-nostdin", "-v", "error", "-nostats", "-i", str(path), "-map", "0:a:0",
                "-t", f"{cap_s:.3f}", "-f", "null", "-", "-progress", "pipe:1",
            ],
            timeout=max(FFPROBE_TIMEOUT_S, cap_s / 10),
        )  # fmt: skip
    except limits.ChildLimitExceeded as exc:
        raise NotAudioError(f"decoding the file failed: {exc}") from exc
    found = re.findall(r"^out_time_us=(\d+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not found:
        logger.info("ffmpeg could not decode %s: %s", path, result.stderr.strip()[-300:])
        raise NotAudioError("the audio cannot be decoded")
    return int(found[-1]) // 1000


def max_track_s() -> int:
    return int(settings.SOUNDS_MAX_TRACK_DURATION_S)
