"""What ffmpeg does to a download once it is here: cut the clip a user asked for, shrink the thumbnail.

The command lines are built with ffmpeg-python (named flags, one input, one output read better than a long
list of strings) and run through `sounds.limits` like every child that reads untrusted media: CPU-time and
file-size limits, a wall timeout. Both read local files only (`-protocol_whitelist file`): a "media file" that
is really a playlist must not make ffmpeg connect anywhere the URL guard never looks.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ffmpeg
from django.conf import settings

from sounds import limits

logger = logging.getLogger(__name__)

TRIM_TIMEOUT_S = 300
THUMBNAIL_TIMEOUT_S = 30
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024  # a 320 px JPEG is a few dozen KB; anything near this is an attack
THUMBNAIL_SOURCES = (".jpg", ".jpeg", ".png", ".webp")
_QUIET = ("-hide_banner", "-nostdin", "-nostats", "-v", "error")


class ClipError(Exception):
    """ffmpeg could not do it; the message is for people, ffmpeg's own words went to the log."""


def trim_command(media: Path, out: Path, *, start: float | None, end: float | None, bitrate: str) -> list[str]:
    """argv that cuts [start, end] (seconds; either may be missing) out of the first audio stream."""
    cut: dict[str, str] = {}
    if start:
        cut["ss"] = f"{start:.3f}"  # after -i: exact to the sample, not to the nearest key frame
    if end:
        cut["to"] = f"{end:.3f}"
    source = ffmpeg.input(str(media), protocol_whitelist="file")
    output = source["a:0"].output(str(out), **cut, **{"b:a": bitrate})
    return list(output.global_args(*_QUIET).overwrite_output().compile())


def trim(media: Path, start: float | None, end: float | None) -> Path:
    """The clip, next to the download. Raises ClipError."""
    out = media.with_name(f"trimmed{media.suffix}")
    cmd = trim_command(media, out, start=start, end=end, bitrate=settings.EXTRACTION_AUDIO_BITRATE)
    try:
        result = limits.run(cmd, timeout=TRIM_TIMEOUT_S)
    except limits.ChildLimitExceeded as exc:
        raise ClipError(f"The clip could not be cut: {exc}.") from exc
    if result.returncode != 0 or not out.is_file():
        logger.warning("ffmpeg could not cut %s (%s): %s", media.name, result.returncode, result.stderr[-300:])
        raise ClipError("The clip could not be cut at those times.")
    return out


def thumbnail_command(source: Path, out: Path, *, max_px: int) -> list[str]:
    """argv that turns the first frame of an image (JPEG, PNG, WebP, animated or not) into a baseline JPEG of at
    most max_px on each side, aspect kept, metadata dropped (EXIF can carry a location)."""
    frame = ffmpeg.input(str(source), protocol_whitelist="file")["v:0"]
    scaled = frame.filter("scale", w=max_px, h=max_px, force_original_aspect_ratio="decrease")
    output = scaled.output(str(out), vframes=1, f="image2", vcodec="mjpeg", map_metadata=-1, **{"q:v": 5})
    return list(output.global_args(*_QUIET).overwrite_output().compile())


def find_thumbnail(workdir: Path) -> Path | None:
    """The thumbnail yt-dlp wrote into the work folder (`thumb.<ext>`), if it wrote one we can read."""
    for path in sorted(workdir.iterdir()):
        if path.stem == "thumb" and path.suffix.lower() in THUMBNAIL_SOURCES and path.is_file():
            return path
    return None


def save_thumbnail(source: Path, folder: Path, stem: str) -> str:
    """`<stem>.jpg` in `folder`, small; the stored name, or "" when the image is unusable (a sound without a
    picture is fine: the extraction goes on)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{stem}.jpg"
    tmp = folder / f".part-{name}"
    cmd = thumbnail_command(source, tmp, max_px=int(settings.EXTRACTION_THUMBNAIL_MAX_PX))
    try:
        result = limits.run(cmd, timeout=THUMBNAIL_TIMEOUT_S, fsize_bytes=THUMBNAIL_MAX_BYTES)
        if result.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            logger.warning("Thumbnail %s was not usable: %s", source.name, result.stderr.strip()[-300:])
            return ""
        tmp.replace(folder / name)
        return name
    except limits.ChildLimitExceeded as exc:
        logger.warning("Thumbnail %s was not converted: %s", source.name, exc)
        return ""
    finally:
        tmp.unlink(missing_ok=True)
