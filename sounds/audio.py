"""Facts about audio files: hash, size, duration, and whether the content really is decodable audio."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import mutagen

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
        result = subprocess.run(
            [
                "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                "-select_streams", "a", str(path),
            ],
            capture_output=True, text=True, timeout=FFPROBE_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise NotAudioError("probing the file took too long") from exc
    if result.returncode != 0:
        raise NotAudioError((result.stderr.strip().splitlines() or ["not a media file ffmpeg can read"])[-1])
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
        result = subprocess.run(
            ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0", "-t", "2", "-f", "null", "-"],
            capture_output=True, text=True, timeout=FFPROBE_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0 and "Invalid data" not in result.stderr
