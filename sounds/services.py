"""Sound workflows: normalize, upload, rename, delete, and queueing the background work."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

import ratelimits
from accounts.models import User
from core import jobs
from core.claims import Lost, Outcome
from core.errors import UserError
from live import contexts, events
from player.models import Room
from sounds import audio, faces, normalizer, progress
from sounds import tags as tagging
from sounds.live import sound_changed
from sounds.models import (
    MAX_COOLDOWN_S,
    MAX_VOLUME,
    JobState,
    Sound,
    SoundPlayed,
    clean_name,
    inside,
    library_claims,
    normalized_dir,
)

logger = logging.getLogger(__name__)


# --- Normalization ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NormalizeOutcome:
    status: str  # normalized | skipped | silent | error | busy (another run holds it) | lost (taken over)
    detail: str = ""


def forget_normalized(sound: Sound) -> None:
    """Drop a sound's normalized version (its original changed): a new normalization job. Does not save; a run
    still working on the old file loses its claim with the save."""
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
    sound.normalization_status = JobState.PENDING
    sound.normalization_claim = ""
    sound.normalization_attempts = 0
    sound.normalization_heartbeat_at = timezone.now()


def reopen_normalization(sound_ids: list[int], *, force: bool) -> None:
    """Ask again: failed jobs (and with `force` finished ones) become pending with fresh attempts; pending ones
    are marked as just queued. A job being processed is left to its run (it normalizes the same file)."""
    now = timezone.now()
    again = [JobState.FAILED, JobState.DONE] if force else [JobState.FAILED]
    Sound.objects.filter(pk__in=sound_ids, normalization_status__in=again).update(
        normalization_status=JobState.PENDING, normalization_claim="", normalization_attempts=0,
        normalization_error="", normalization_heartbeat_at=now,
    )  # fmt: skip
    Sound.objects.filter(pk__in=sound_ids, normalization_status=JobState.PENDING).update(normalization_heartbeat_at=now)


# A sound's normalization is a claimed job (core.claims) kept in the sound's own row.
CLAIMS = library_claims(
    Sound,
    prefix="normalization_",
    stamp_updated_at=False,  # a sound's `updated_at` says when its data changed, not its job
)


def claim_normalization(sound_id: int) -> Sound | Outcome:
    """Take the sound's normalization for this run (see core.claims); past the attempt limit it fails instead."""
    return CLAIMS.claim(sound_id, give_up=give_up_normalization)


def give_up_normalization(sound: Sound, reason: str) -> bool:
    """Fail a job nobody holds any more, conditional on what we saw of it."""
    if not CLAIMS.fail_as_seen(sound, normalization_error=reason[:300]):
        return False
    logger.warning("Normalizing sound %s: %s", sound.pk, reason)
    transaction.on_commit(functools.partial(sound_changed, sound.pk))
    return True


def _held(sound: Sound) -> QuerySet[Sound]:
    """The sound's row while this run holds its normalization: every write of the run goes through it."""
    return CLAIMS.held(sound)


def normalize_sound(*, sound: Sound, force: bool = False, one_pass: bool | None = None) -> NormalizeOutcome:
    """Normalize now, in this process (the command, TTS, extraction): a failed sound is tried again, a
    normalized one only with `force` (or when its file went missing). The work itself is a claimed run."""
    sound.refresh_from_db()
    normalized = sound.safe_normalized_path()
    if sound.is_normalized and not force and normalized is not None and normalized.is_file():
        return NormalizeOutcome("skipped", "already normalized")
    reopen_normalization([sound.pk], force=True)
    outcome = process_normalization(sound_id=sound.pk, one_pass=one_pass)
    sound.refresh_from_db()
    return outcome


def process_normalization(*, sound_id: int, one_pass: bool | None = None) -> NormalizeOutcome:
    """A queued job's run: claim it, normalize, and record the result only while the claim holds."""
    claimed = claim_normalization(sound_id)
    if claimed is Outcome.BUSY:
        return NormalizeOutcome("busy", "another run is normalizing it")
    if claimed is Outcome.GONE:
        return NormalizeOutcome("error", "the sound was deleted")
    if not isinstance(claimed, Sound):
        return NormalizeOutcome("skipped", "finished already")
    try:
        with CLAIMS.heartbeat(claimed, f"normalize-{sound_id}"):
            return _normalize_claimed(claimed, one_pass)
    except Lost:
        logger.warning("Normalizing sound %s was taken over by another run; this one stops", sound_id)
        return NormalizeOutcome("lost", "taken over by another run")


def _normalize_claimed(sound: Sound, one_pass: bool | None) -> NormalizeOutcome:
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
    old = sound.safe_normalized_path()
    fields: dict[str, object] = {
        "is_normalized": True,
        "normalized_filename": target_name,
        "normalized_duration": out_info.duration_ms,
        "normalized_size": target.stat().st_size,
        "normalized_hash": audio.file_hash(target),
        "normalization_mode": result.mode,
        "normalization_error": "",
        "normalization_status": JobState.DONE,
        "updated_at": timezone.now(),
    }
    if measured is not None:
        fields["loudness_i"] = _finite_or_none(measured.input_i)
        fields["loudness_tp"] = _finite_or_none(measured.input_tp)
        fields["loudness_lra"] = _finite_or_none(measured.input_lra)
    if not _held(sound).update(**fields):
        if not Sound.objects.filter(pk=sound.pk).exists():
            target.unlink(missing_ok=True)  # deleted while we worked: leave nothing behind
            return NormalizeOutcome("error", "the sound was deleted meanwhile")
        # Taken over: the run that holds it now writes the same file name, so the file stays.
        raise Lost
    if old is not None and old != target:
        old.unlink(missing_ok=True)
    return NormalizeOutcome("normalized", result.mode)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _failed(sound: Sound, reason: str) -> NormalizeOutcome:
    """Record why, in words the uploader reads on the board (no paths, no ffmpeg output: those go to the log),
    while this run holds the job."""
    if not _held(sound).update(normalization_status=JobState.FAILED, normalization_error=reason[:300]):
        if Sound.objects.filter(pk=sound.pk).exists():
            raise Lost
        return NormalizeOutcome("error", "the sound was deleted meanwhile")
    logger.warning("Normalizing sound %s failed: %s", sound.pk, reason)
    return NormalizeOutcome("error", reason)


def enqueue_normalization(sound_id: int, *, one_pass: bool | None = None, batch: str | None = None) -> None:
    jobs.enqueue("sounds.normalize_sound", sound_id=sound_id, one_pass=one_pass, batch=batch)


def queue_normalization(
    sound_ids: Iterable[int], *, force: bool = False, one_pass: bool | None = None, user_id: int | None = None
) -> str | None:
    """One Celery task per sound on the audio queue, sent after commit; progress is tracked as a batch.

    The rows say what waits: a message lost on the way (the broker down) is sent again by the sweep.
    """
    ids = list(sound_ids)
    if not ids:
        return None
    reopen_normalization(ids, force=force)
    batch = progress.start_batch("normalize", total=len(ids), user_id=user_id)

    def send() -> None:
        try:
            for sound_id in ids:
                enqueue_normalization(sound_id, one_pass=one_pass, batch=batch)
        except Exception:
            logger.error("Normalization could not be queued; the sweep sends it again", exc_info=True)

    transaction.on_commit(send)
    return batch


def sweep_normalization(now: datetime) -> dict[str, int]:
    """Stale runs are retried (or, past the attempt limit, failed); pending jobs nobody claimed for
    SOUNDS_JOB_REQUEUE_AFTER_S get a new message. Conditional UPDATEs on what the sweep saw: a second sweep or
    a worker coming back to life can't double anything (and a duplicate message finds the job claimed)."""
    stale = now - timedelta(seconds=float(settings.SOUNDS_JOB_STALE_AFTER_S))
    lost = now - timedelta(seconds=float(settings.SOUNDS_JOB_REQUEUE_AFTER_S))
    batch = int(settings.SOUNDS_JOB_SWEEP_BATCH)
    stuck = Sound.objects.filter(normalization_status=JobState.PROCESSING, normalization_heartbeat_at__lt=stale)
    retried, failed = CLAIMS.retry_or_give_up(
        stuck.order_by("pk")[:batch], now, give_up=give_up_normalization, enqueue=enqueue_normalization
    )
    quiet = Q(normalization_heartbeat_at__lt=lost) | Q(normalization_heartbeat_at__isnull=True, created_at__lt=lost)
    waiting = Sound.objects.filter(quiet, normalization_status=JobState.PENDING)
    requeued = CLAIMS.resend_lost(
        waiting, now, mark="normalization_heartbeat_at", enqueue=enqueue_normalization, batch=batch
    )
    return {"retried": retried, "failed": failed, "requeued": requeued}


# --- Errors -----------------------------------------------------------------------------------------------
class UploadError(UserError):
    def __init__(self, detail: str, status: int = 400, existing: Sound | None = None) -> None:
        super().__init__(detail, status)
        self.existing = existing


# --- Rename and delete ------------------------------------------------------------------------------------
def sound_for_editing(*, user: User, sound_id: int) -> Sound:
    """The sound `user` may change: 404 when they can't see it, 403 when it is someone else's."""
    sound = Sound.objects.visible_to(user).filter(pk=sound_id).first()
    if sound is None:
        raise UserError("No such sound.", 404)
    if not sound.editable_by(user):
        raise UserError("Only the person who added this sound, or an admin, can change it.", 403)
    return sound


def edit_sound(
    *,
    sound: Sound,
    user: User,
    name: str | None = None,
    tags: list[str] | None = None,
    volume: int | None = None,
    cooldown_s: int | None = None,
    emoji: str | None = None,
    color: str | None = None,
) -> Sound:
    """Change what was given (None: leave it). The API's PATCH and the board's forms both come here.

    Every value is judged before anything is written: one bad value refuses the whole edit (400), nothing
    half-written.
    """
    # Every edit tells every open board: a loop of edits would be a loop of broadcasts.
    ratelimits.hit("sound-edit", user.pk, "SOUND_EDIT_RATE_LIMIT", detail="Too many changes in a row; slow down a bit.")
    clean_tags = tagging.clean_tags(tags) if tags is not None else None
    fields: dict[str, object] = {}
    if volume is not None:
        fields["volume"] = _whole(volume, 0, MAX_VOLUME, f"Volume is a percentage from 0 to {MAX_VOLUME}.")
    if cooldown_s is not None:
        message = f"The cooldown is a number of seconds from 0 to {MAX_COOLDOWN_S} (a day)."
        fields["cooldown_s"] = _whole(cooldown_s, 0, MAX_COOLDOWN_S, message)
    if emoji is not None:
        fields["emoji"] = faces.clean_emoji(emoji)
    if color is not None:
        fields["color"] = faces.clean_color(color)
    with transaction.atomic():
        if name is not None:
            rename_sound(sound=sound, name=name)  # judges the name; a refusal rolls back what came before
        for field, value in fields.items():
            setattr(sound, field, value)
        if fields:
            sound.save(update_fields=[*fields, "updated_at"])
        if clean_tags is not None:
            sound.tags.set([tagging.Tag.objects.get_or_create(name=tag)[0] for tag in clean_tags])
        if fields or clean_tags is not None:
            transaction.on_commit(lambda: events.broadcast(contexts.LibraryChanged()))
    return sound


def _whole(value: int, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(message)
    return value


def rename_sound(*, sound: Sound, name: str) -> Sound:
    name = clean_name(name)
    if not name:
        raise UploadError("The name cannot be empty.")
    if len(name) > 255:
        raise UploadError("The name is longer than 255 characters.")
    sound.name = name
    sound.save(update_fields=["name", "updated_at"])
    transaction.on_commit(lambda: events.broadcast(contexts.LibraryChanged()))
    return sound


def delete_sound(*, sound: Sound, user: User) -> None:
    ratelimits.hit("sound-edit", user.pk, "SOUND_EDIT_RATE_LIMIT", detail="Too many changes in a row; slow down a bit.")
    delete_sounds(Sound.objects.filter(pk=sound.pk))


def delete_sounds(sounds: QuerySet[Sound], *, remove_originals: bool = True) -> int:
    """Delete rows, then their files once the deletion is committed (a rollback keeps both), and tell every
    open board that the library changed."""
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
    if count:
        transaction.on_commit(lambda: events.broadcast(contexts.LibraryChanged()))
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


def record_play(
    *, sound_id: int, user_id: int | None, source: str, room: str, user_name: str = "", playback_id: str = ""
) -> bool:
    """A play really started in `room`: history row, play count, and the live "who played what" to everyone.

    Runs in the room's player daemon: it publishes data only (the web side renders it) and touches no template.
    """
    with transaction.atomic():
        if not Sound.objects.filter(pk=sound_id).update(play_count=F("play_count") + 1):
            return False  # deleted meanwhile
        played = SoundPlayed.objects.create(sound_id=sound_id, user_id=user_id, source=source, room=Room.ensure(room))
        sound = Sound.objects.values("name", "play_count", "next_play_at").get(pk=sound_id)
    event = contexts.SoundPlayed(
        sound_id=sound_id,
        sound_name=sound["name"],
        play_count=sound["play_count"],
        user_id=user_id,
        user_name=user_name,
        source=source,
        played_at=played.played_at,
        playback_id=playback_id,
        room=room,
        cooldown_until=sound["next_play_at"]
        if sound["next_play_at"] and sound["next_play_at"] > played.played_at
        else None,
    )
    transaction.on_commit(plays_changed)
    transaction.on_commit(lambda: events.broadcast(event))
    return True
