"""Sound workflows: normalize, upload, rename, delete, and queueing the background work."""

from __future__ import annotations

import logging
import math
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Sum
from django.utils.text import slugify

import ratelimits
from accounts.models import User
from core import jobs
from core.errors import UserError
from credits import services as credits
from credits.models import CreditAction
from live import events
from sounds import audio, normalizer, pending, progress, tts
from sounds.models import Sound, SoundPlayed, SoundType, clean_name, humanize, inside, normalized_dir, originals_dir

logger = logging.getLogger(__name__)

# A TTS slot whose task never reported back frees itself after the task's own time limit, and some.
TTS_SLOT_TTL_S = 600


# --- Normalization ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NormalizeOutcome:
    status: str  # normalized | skipped | silent | error
    detail: str = ""


def forget_normalized(sound: Sound) -> None:
    """Drop a sound's normalized version (its original changed or is being re-normalized). Does not save."""
    path = sound.safe_normalized_path()
    if path is not None:
        path.unlink(missing_ok=True)
    sound.is_normalized = False
    sound.normalized_filename = ""
    sound.normalized_duration = None
    sound.normalized_size = None
    sound.normalized_hash = ""
    sound.normalization_mode = ""
    sound.normalization_error = ""


def normalize_sound(*, sound: Sound, force: bool = False, one_pass: bool | None = None) -> NormalizeOutcome:
    normalized = sound.safe_normalized_path()
    if sound.is_normalized and not force and normalized is not None and normalized.is_file():
        return NormalizeOutcome("skipped", "already normalized")
    source = sound.safe_original_path()
    if source is None or not source.is_file():
        return _failed(sound, "the original file is missing")
    limit_s = audio.max_track_s()
    try:
        # Decoded, not read from the header: a header can claim 1 s for hours of audio.
        length_ms = audio.decoded_duration_ms(source, cap_s=limit_s + 1)
        info = audio.probe(source)
    except (audio.NotAudioError, OSError) as exc:
        return _failed(sound, f"the original is not playable audio ({exc})")
    if length_ms > limit_s * 1000:
        return _failed(sound, f"the sound is longer than the {limit_s // 60}-minute limit")
    fmt = getattr(settings, "NORMALIZED_AUDIO_FORMAT", "mp3")
    stem = Path(sound.filename).with_suffix("").as_posix()
    # Names made by extraction already end in the hash; a file dropped into a folder gets one here.
    target_name = f"{stem if stem.endswith(sound.hash[:8]) else f'{stem}-{sound.hash[:8]}'}.{fmt}"
    target = inside(normalized_dir(sound.type) / target_name, normalized_dir(sound.type))
    if target is None:
        return _failed(sound, "the sound's file name is not allowed")
    # No transaction is open here: ffmpeg may run for a while and must not hold a database lock.
    try:
        result = normalizer.normalize_file(
            source, target, duration_s=length_ms / 1000, input_sample_rate=info.sample_rate, one_pass=one_pass
        )
    except normalizer.SilentAudioError:
        _failed(sound, "the audio is silent; nothing to normalize")
        return NormalizeOutcome("silent", "the audio is silent")
    except normalizer.NormalizationError as exc:
        return _failed(sound, str(exc))
    except OSError as exc:
        logger.warning("Cannot write %s: %s", target, exc)
        return _failed(sound, "the server could not store the normalized file; an admin has to look at it")

    out_info = audio.probe(target)
    measured = result.measurement
    with transaction.atomic():
        fresh = Sound.objects.select_for_update().filter(pk=sound.pk).first()
        if fresh is None:
            target.unlink(missing_ok=True)  # deleted while we worked: leave nothing behind
            return NormalizeOutcome("error", "the sound was deleted meanwhile")
        old = fresh.safe_normalized_path()
        fresh.is_normalized = True
        fresh.normalized_filename = target_name
        fresh.normalized_duration = out_info.duration_ms
        fresh.normalized_size = target.stat().st_size
        fresh.normalized_hash = audio.file_hash(target)
        fresh.normalization_mode = result.mode
        fresh.normalization_error = ""
        if measured is not None:
            fresh.loudness_i = _finite_or_none(measured.input_i)
            fresh.loudness_tp = _finite_or_none(measured.input_tp)
            fresh.loudness_lra = _finite_or_none(measured.input_lra)
        fresh.save()
    if old is not None and old != target:
        old.unlink(missing_ok=True)
    sound.refresh_from_db()
    return NormalizeOutcome("normalized", result.mode)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _failed(sound: Sound, reason: str) -> NormalizeOutcome:
    """Record why, in words the uploader reads on the board (no paths, no ffmpeg output: those go to the log)."""
    Sound.objects.filter(pk=sound.pk).update(normalization_error=reason[:300])
    logger.warning("Normalizing sound %s failed: %s", sound.pk, reason)
    return NormalizeOutcome("error", reason)


def queue_normalization(
    sound_ids: Iterable[int], *, force: bool = False, one_pass: bool | None = None, user_id: int | None = None
) -> str | None:
    """One Celery task per sound on the audio queue, sent after commit; progress is tracked as a batch."""
    ids = list(sound_ids)
    if not ids:
        return None
    batch = progress.start_batch("normalize", total=len(ids), user_id=user_id)

    def send() -> None:
        for sound_id in ids:
            jobs.enqueue("sounds.normalize_sound", sound_id=sound_id, force=force, one_pass=one_pass, batch=batch)

    transaction.on_commit(send)
    return batch


# --- Upload -----------------------------------------------------------------------------------------------
class UploadError(UserError):
    def __init__(self, detail: str, status: int = 400, existing: Sound | None = None) -> None:
        super().__init__(detail, status)
        self.existing = existing


def safe_filename(original_name: str, extension: str) -> str:
    stem = slugify(Path(clean_name(original_name)).stem)[:60] or "sound"
    return f"{stem}-{secrets.token_hex(4)}{extension}"


def _check_pending(user: User) -> None:
    """A user can't keep the audio workers busy: uploads still waiting for normalization are capped."""
    limit = int(settings.SOUNDS_MAX_PENDING_PER_USER)
    waiting = Sound.objects.filter(uploaded_by=user, is_normalized=False, normalization_error="").count()
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


def _judge(tmp: Path) -> tuple[audio.AudioInfo, audio.Container, int]:
    """What the upload really is: container from the content, length from decoding. Raises UploadError."""
    try:
        info = audio.ffprobe(tmp)
    except audio.NotAudioError as exc:
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
        raise UploadError(f"The sound is longer than {limit_s} seconds.")
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


# --- Rename and delete ------------------------------------------------------------------------------------
def rename_sound(*, sound: Sound, name: str) -> Sound:
    name = clean_name(name)
    if not name:
        raise UploadError("The name cannot be empty.")
    if len(name) > 255:
        raise UploadError("The name is longer than 255 characters.")
    sound.name = name
    sound.save(update_fields=["name", "updated_at"])
    return sound


def delete_sounds(sounds: QuerySet[Sound], *, remove_originals: bool = True) -> int:
    """Delete rows, then their files once the deletion is committed (a rollback keeps both)."""
    doomed = list(sounds)
    paths: list[Path] = []
    for sound in doomed:
        # Only files inside their own folders: a tampered name must not make us delete anything else.
        found = (
            sound.safe_original_path() if remove_originals else None,
            sound.safe_normalized_path(),
            sound.safe_thumbnail_path(),
        )
        paths.extend(p for p in found if p is not None)
    _, per_model = Sound.objects.filter(pk__in=[s.pk for s in doomed]).delete()
    count = per_model.get(Sound._meta.label, 0)

    def remove_files() -> None:
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                logger.warning("Could not remove %s: %s", path, exc)

    transaction.on_commit(remove_files)
    return count


# --- Plays ------------------------------------------------------------------------------------------------
# Bumped on every recorded play: whatever caches figures over plays (the dashboard) keys its cache on it, so the
# player daemon, which records plays, needs no dashboard code.
PLAYS_GENERATION_KEY = "dashboard:generation"


def plays_changed() -> None:
    try:
        cache.incr(PLAYS_GENERATION_KEY)
    except ValueError:
        cache.set(PLAYS_GENERATION_KEY, 1, None)


def record_play(*, sound_id: int, user_id: int | None, source: str, user_name: str = "", playback_id: str = "") -> bool:
    """A play really started: history row, play count, and the live "who played what" to everyone.

    Runs in the player daemon: it publishes data only (the web side renders it) and touches no template.
    """
    with transaction.atomic():
        if not Sound.objects.filter(pk=sound_id).update(play_count=F("play_count") + 1):
            return False  # deleted meanwhile
        played = SoundPlayed.objects.create(sound_id=sound_id, user_id=user_id, source=source)
        sound = Sound.objects.values("name", "play_count").get(pk=sound_id)
    payload = {
        "sound_id": sound_id,
        "sound_name": sound["name"],
        "play_count": sound["play_count"],
        "user_id": user_id,
        "user_name": user_name,
        "source": source,
        "played_at": played.played_at.isoformat(),
        "playback_id": playback_id,
    }
    transaction.on_commit(plays_changed)
    transaction.on_commit(lambda: events.broadcast("sound_played", payload))
    return True


# --- Text to speech ---------------------------------------------------------------------------------------
def request_tts(*, user: User, text: str, voice: str, speed: int) -> str:
    """Validate, refuse duplicates, charge, and queue the synthesis. Returns the sound's future name."""

    ratelimits.hit("tts", user.pk, "TTS_RATE_LIMIT", detail="Too many lines in a row; slow down a bit.")
    text = tts.clean_text(text)
    tts.check_voice(voice)
    tts.check_speed(speed)
    key = tts.key_for(text, voice, speed)
    existing = Sound.objects.filter(type=SoundType.TTS, filename__endswith=f"-{key}.wav").first()
    if existing is not None:
        raise tts.TtsError(f"That line already exists as “{existing.name}”.", 409)
    # A slot among the user's waiting lines, held until the task ends (before the charge: a refusal is free).
    slot = pending.take("tts", user.pk, limit=int(settings.TTS_MAX_PENDING_PER_USER), ttl_s=TTS_SLOT_TTL_S)
    if slot is None:
        raise tts.TtsError("Your earlier lines are still being made; try again when they are ready.", 429)
    try:
        tx = credits.debit(
            user_id=user.pk,
            amount=credits.cost_of(CreditAction.TEXT_TO_SPEECH),
            action=CreditAction.TEXT_TO_SPEECH,
            metadata={"sound_name": text[:60], "voice": voice},
        )
    except credits.InsufficientCredits:
        pending.give_back("tts", user.pk, slot)  # the refusal (a 402) goes on as it is
        raise
    transaction.on_commit(
        lambda: jobs.enqueue(
            "sounds.tts", user_id=user.pk, text=text, voice=voice, speed=speed, transaction_id=tx.pk, slot=slot
        )
    )
    return text[:60]


def create_tts_sound(*, user_id: int, text: str, voice: str, speed: int) -> Sound:
    """Speak, store under originals/text_to_speech/, add to the library and normalize. Raises TtsError."""

    key = tts.key_for(text, voice, speed)
    filename = f"{slugify(text)[:50] or 'speech'}-{key}.wav"
    folder = originals_dir(SoundType.TTS)
    final = inside(folder / filename, folder)
    if final is None:
        raise tts.TtsError("The sounds folder is misconfigured; ask an admin.", 500)
    tmp = final.with_name(f".part-{filename}")
    tts.speak(text, voice=voice, speed=speed, out=tmp)
    try:
        info = audio.probe(tmp)
        digest = audio.file_hash(tmp)
        tmp.replace(final)
        with transaction.atomic():
            sound = Sound.objects.create(
                type=SoundType.TTS,
                name=clean_name(humanize(text[:80]) if len(text) > 80 else text),
                filename=filename,
                duration=info.duration_ms,
                size=final.stat().st_size,
                hash=digest,
                file_mtime=final.stat().st_mtime,
                uploaded_by_id=user_id,
            )
    except IntegrityError as exc:
        final.unlink(missing_ok=True)
        raise tts.TtsError("That line already exists in the library.", 409) from exc
    finally:
        tmp.unlink(missing_ok=True)
    normalize_sound(sound=sound)
    return sound
