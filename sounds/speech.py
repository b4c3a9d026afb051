"""Text to speech as a claimed job: a TtsJob row per request (charged, capped per user), one worker run at a
time making the sound, a refund exactly once when it fails, and a sweep for lost messages and dead runs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

import ratelimits
from accounts.models import User
from core import jobs
from core.claims import Lost, Outcome
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from live import events
from live.contexts import LibraryChanged, Toast
from sounds import audio, tts
from sounds.models import (
    ACTIVE,
    JobState,
    Sound,
    SoundType,
    TtsJob,
    clean_name,
    humanize,
    inside,
    library_claims,
    originals_dir,
)
from sounds.services import normalize_sound

logger = logging.getLogger(__name__)


# --- Request ----------------------------------------------------------------------------------------------
def request_tts(*, user: User, text: str, voice: str, speed: int) -> TtsJob:
    """Validate, refuse duplicates, charge, and queue the synthesis. Raises a UserError (TtsError, 402, 429, or
    503 when the queue is unreachable after the charge: then the job is failed and refunded)."""
    ratelimits.hit("tts", user.pk, "TTS_RATE_LIMIT", detail="Too many lines in a row; slow down a bit.")
    text = tts.clean_text(text)
    tts.check_voice(voice)
    tts.check_speed(speed)
    key = tts.key_for(text, voice, speed)
    existing = Sound.objects.filter(type=SoundType.TTS, filename__endswith=f"-{key}.wav").first()
    if existing is not None:
        raise tts.TtsError(f"That line already exists as “{existing.name}”.", 409)
    with transaction.atomic():
        # The user's row lock serializes their requests: two can't both take the last waiting place.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if TtsJob.objects.filter(user=user, status__in=ACTIVE).count() >= int(settings.TTS_MAX_PENDING_PER_USER):
            raise tts.TtsError("Your earlier lines are still being made; try again when they are ready.", 429)
        tx = credits.debit(
            user_id=user.pk,
            amount=credits.cost_of(CreditAction.TEXT_TO_SPEECH),
            action=CreditAction.TEXT_TO_SPEECH,
            metadata={"sound_name": text[:60], "voice": voice},
        )
        job = TtsJob.objects.create(
            user=user, text=text, voice=voice, speed=speed, transaction_id=tx.pk, heartbeat_at=timezone.now()
        )
        transaction.on_commit(functools.partial(_enqueue_or_refund, job))
    return job


def enqueue(job_id: int) -> None:
    jobs.enqueue("sounds.tts", job_id=job_id)


def _enqueue_or_refund(job: TtsJob) -> None:
    """After the debit committed: queue the job, or (broker down) fail it, refund, and say so with a 503."""
    reason = "The line could not be queued (the task queue is unreachable); your credits were refunded."
    jobs.enqueue_or_fail(
        "sounds.tts",
        {"job_id": job.pk},
        unclaimed=TtsJob.objects.filter(pk=job.pk, status=JobState.PENDING, claim=""),
        failed={"status": JobState.FAILED, "error": reason[:300], "updated_at": timezone.now()},
        reason=reason,
        refund=functools.partial(_refund, job, reason),
        error=tts.TtsError,
    )


# --- Making the sound -------------------------------------------------------------------------------------
def create_tts_sound(
    *, user_id: int, text: str, voice: str, speed: int, on_created: Callable[[Sound], None] | None = None
) -> Sound:
    """Speak, store under originals/text_to_speech/, add to the library and normalize. Raises TtsError.

    `on_created` runs in the transaction that adds the sound (a job links it there, or raises Lost to undo it).
    """
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
        if Sound.objects.filter(type=SoundType.TTS, filename=filename).exists():
            raise tts.TtsError("That line already exists in the library.", 409)
        tmp.replace(final)
        try:
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
                if on_created is not None:
                    on_created(sound)
        except Lost:
            final.unlink(missing_ok=True)
            raise
    except IntegrityError as exc:
        final.unlink(missing_ok=True)
        raise tts.TtsError("That line already exists in the library.", 409) from exc
    finally:
        tmp.unlink(missing_ok=True)
    normalize_sound(sound=sound)
    return sound


# --- Claims -----------------------------------------------------------------------------------------------
CLAIMS = library_claims(TtsJob)


def claim(job_id: int) -> TtsJob | Outcome:
    """Take the job for this run (see core.claims); past the attempt limit it fails and is refunded instead."""
    return CLAIMS.claim(job_id, give_up=give_up)


def give_up(job: TtsJob, reason: str) -> bool:
    """Fail a job nobody holds any more (conditional on what we saw), and refund it once."""
    # The failure and its refund commit together: a worker dying between them would leave a failed job that
    # nothing refunds any more (the sweep only looks at active jobs).
    with transaction.atomic():
        if not CLAIMS.fail_as_seen(job, error=reason[:300]):
            return False
        _refund(job, reason)
    _tell_failed(job, reason)
    return True


def _update(job: TtsJob, **fields: Any) -> None:
    """Write for this run: conditional on its claim, so a run that lost the job raises Lost instead."""
    CLAIMS.write(job, **fields)


def _refund(job: TtsJob, reason: str) -> None:
    tx = CreditTransaction.objects.filter(pk=job.transaction_id).first() if job.transaction_id else None
    if tx is not None:
        credits.refund(tx, reason=reason[:200])


def _tell_failed(job: TtsJob, reason: str) -> None:
    message = f"{reason} Your credits were refunded."
    events.send_to_user(job.user_id, Toast(message=message, level="error"))


# --- Process ----------------------------------------------------------------------------------------------
def process(job_id: int) -> Outcome:
    """Claim the job, then run it to its end: done, or failed with a refund."""
    claimed = claim(job_id)
    if not isinstance(claimed, TtsJob):
        return claimed
    try:
        with CLAIMS.heartbeat(claimed, f"tts-{job_id}"):
            _run(claimed)
    except Lost:
        logger.warning("TTS job %s was taken over by another run; this one stops", job_id)
    return Outcome.RAN


def _run(job: TtsJob) -> None:
    earlier = Sound.objects.filter(pk=job.sound_id).first() if job.sound_id else None
    try:
        if earlier is not None:
            # An earlier run of this job stored the sound and died before the end: finish it, no refund.
            normalize_sound(sound=earlier)
            sound = earlier
        else:
            sound = create_tts_sound(
                user_id=job.user_id,
                text=job.text,
                voice=job.voice,
                speed=job.speed,
                on_created=lambda made: _update(job, sound=made),
            )
    except Lost:
        raise
    except Exception as exc:
        detail = exc.detail if isinstance(exc, tts.TtsError) else "The speech could not be made."
        logger.warning("TTS job %s failed: %s", job.pk, exc, exc_info=not isinstance(exc, tts.TtsError))
        with transaction.atomic():  # together, as in give_up
            _update(job, status=JobState.FAILED, error=detail[:300])
            _refund(job, detail)
        _tell_failed(job, detail)
        return
    _update(job, status=JobState.DONE, sound=sound, error="")
    message = f"“{sound.name}” is ready on the board."
    events.send_to_user(job.user_id, Toast(message=message, level="success"))
    events.broadcast(LibraryChanged())


# --- Sweep ------------------------------------------------------------------------------------------------
def sweep(now: datetime) -> dict[str, int]:
    """Dead runs are retried (past the attempt limit: failed and refunded once); pending jobs nobody claimed
    for SOUNDS_JOB_REQUEUE_AFTER_S lost their message and get another. Conditional UPDATEs only."""
    stale = now - timedelta(seconds=float(settings.SOUNDS_JOB_STALE_AFTER_S))
    lost = now - timedelta(seconds=float(settings.SOUNDS_JOB_REQUEUE_AFTER_S))
    batch = int(settings.SOUNDS_JOB_SWEEP_BATCH)
    dead = TtsJob.objects.filter(status=JobState.PROCESSING, heartbeat_at__lt=stale).order_by("pk")[:batch]
    retried, failed = CLAIMS.retry_or_give_up(dead, now, give_up=give_up, enqueue=enqueue)
    waiting = TtsJob.objects.filter(Q(heartbeat_at__lt=lost) | Q(heartbeat_at__isnull=True), status=JobState.PENDING)
    requeued = CLAIMS.resend_lost(waiting, now, mark="heartbeat_at", enqueue=enqueue, batch=batch)
    return {"retried": retried, "failed": failed, "requeued": requeued}
