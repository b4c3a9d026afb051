"""Uploads: a file judged by its content (container, decoded length), capped per user, added to the library
and queued for normalization. A refusal leaves nothing behind."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.text import slugify

import ratelimits
from accounts.models import User
from live import contexts, events
from sounds import audio
from sounds.models import Sound, SoundType, clean_name, humanize, inside, originals_dir
from sounds.services import UploadError, queue_normalization


def safe_filename(original_name: str, extension: str) -> str:
    stem = slugify(Path(clean_name(original_name)).stem)[:60] or "sound"
    return f"{stem}-{secrets.token_hex(4)}{extension}"


def _check_pending(user: User) -> None:
    """A user can't keep the audio workers busy: uploads still waiting for normalization are capped."""
    limit = int(settings.SOUNDS_MAX_PENDING_PER_USER)
    waiting = Sound.objects.filter(uploaded_by=user, is_normalized=False).normalization_active().count()
    if waiting >= limit:
        raise UploadError(
            f"You already have {waiting} sounds waiting to be normalized; upload more once they are ready.", 429
        )


def _check_quota(user: User, adding: int) -> None:
    quota_mb = int(settings.SOUNDS_USER_QUOTA_MB)
    used = Sound.objects.uploaded_by_user(user.pk).aggregate(total=Sum("size"))["total"] or 0
    if used + adding > quota_mb * 1024 * 1024:
        raise UploadError(
            f"This file would pass your storage quota of {quota_mb} MB (you use {used / 1024 / 1024:.1f} MB); "
            "ask an admin to remove some of your sounds.",
            413,
        )


def duration_words(seconds: int) -> str:
    """A limit as people say it, the same in help texts and errors: 600 -> "10 minutes", 90 -> "1 minute 30 seconds"."""
    minutes, rest = divmod(int(seconds), 60)
    parts = [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else []
    if rest or not parts:
        parts.append(f"{rest} second{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _judge(tmp: Path) -> tuple[audio.AudioInfo, audio.Container, int]:
    """What the upload really is: container from the content, length from decoding. Raises UploadError.

    The length limit reads as the upload form's help says it ("10 minutes"), not in seconds.
    """
    try:
        info = audio.ffprobe(tmp)
    except audio.NotAudioError as exc:  # its message is in plain words (sounds.audio keeps ffmpeg's for the log)
        raise UploadError(f"That is not an audio file we can play ({exc}).") from exc
    try:
        container = audio.container_for(info.format_name)
    except audio.UnsupportedContainer as exc:
        raise UploadError(f"That kind of file is not accepted: {exc}.") from exc
    limit_s = int(settings.SOUNDS_MAX_DURATION_S)
    try:
        length_ms = audio.decoded_duration_ms(tmp, cap_s=limit_s + 1)
    except audio.NotAudioError as exc:
        raise UploadError("The audio in that file is damaged and cannot be decoded.") from exc
    if length_ms > limit_s * 1000:
        raise UploadError(f"The sound is longer than {duration_words(limit_s)}, the longest a sound may be.")
    return info, container, length_ms


def import_upload(*, uploaded: UploadedFile[bytes], user: User | None) -> Sound:
    """Validate an uploaded file by its content and add it to the library. Raises UploadError (or RateLimited).

    A refusal leaves nothing behind: no row, no file, nothing queued.
    """
    if user is not None:
        ratelimits.hit("upload", user.pk, "UPLOAD_RATE_LIMIT", detail="Too many uploads in a row; slow down a bit.")
    max_bytes = settings.SOUNDS_MAX_UPLOAD_MB * 1024 * 1024
    if uploaded.size is None or uploaded.size == 0:
        raise UploadError("The file is empty.")
    if uploaded.size > max_bytes:
        raise UploadError(f"The file is larger than {settings.SOUNDS_MAX_UPLOAD_MB} MB.", status=413)
    if user is not None:
        _check_pending(user)
        _check_quota(user, uploaded.size)  # cheap early answer; checked again under a lock below
    tmp_dir = Path(settings.SOUNDS_ROOT) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    # No extension on the temporary file: ffprobe judges the container from the bytes alone.
    fd, tmp_name = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        _, container, length_ms = _judge(tmp)
        digest = audio.file_hash(tmp)
        existing = Sound.objects.filter(hash=digest).first()
        if existing is not None:
            raise UploadError(f"This sound is already in the library as “{existing.name}”.", 409, existing)
        filename = safe_filename(uploaded.name or "sound", container.extension)
        folder = originals_dir(SoundType.SDB)
        folder.mkdir(parents=True, exist_ok=True)
        final = inside(folder / filename, folder)
        if final is None:
            raise UploadError("The sounds folder is misconfigured; ask an admin.", 500)
        shutil.move(tmp, final)
        try:
            with transaction.atomic():
                if user is not None:
                    # The user's row lock serializes their concurrent uploads, so two can't both fit the quota.
                    User.objects.select_for_update().filter(pk=user.pk).first()
                    _check_quota(user, final.stat().st_size)
                sound = Sound.objects.create(
                    type=SoundType.SDB,
                    name=humanize(uploaded.name or filename)[:255],
                    filename=filename,
                    duration=length_ms,
                    size=final.stat().st_size,
                    hash=digest,
                    file_mtime=final.stat().st_mtime,
                    uploaded_by=user,
                )
        except UploadError:
            final.unlink(missing_ok=True)
            raise
        except IntegrityError as exc:
            # Two identical uploads at the same instant: the loser leaves no file behind.
            final.unlink(missing_ok=True)
            existing = Sound.objects.filter(hash=digest).first()
            name = existing.name if existing else "another sound"
            raise UploadError(f"This sound is already in the library as “{name}”.", 409, existing) from exc
    finally:
        tmp.unlink(missing_ok=True)
    queue_normalization([sound.pk], user_id=user.pk if user else None)
    return sound


def announce_added() -> None:
    """Every open board (the uploader's too) re-reads its list: once for a whole batch, not once per file."""
    events.broadcast(contexts.LibraryChanged())
