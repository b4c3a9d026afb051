"""Celery adapters for the sound library. Thin: re-fetch, call the service, report."""

from __future__ import annotations

import logging

from celery import shared_task

from credits.models import CreditTransaction
from credits.services import refund
from live import events
from sounds import pending, progress
from sounds.live import sound_changed
from sounds.models import Sound
from sounds.scanner import ScanAlreadyRunning, scan
from sounds.services import create_tts_sound, normalize_sound, queue_normalization
from sounds.tts import TtsError

logger = logging.getLogger(__name__)


@shared_task(
    name="sounds.normalize_sound", acks_late=True, reject_on_worker_lost=True, time_limit=900, soft_time_limit=840
)
def normalize_sound_task(
    *, sound_id: int, force: bool = False, one_pass: bool | None = None, batch: str | None = None
) -> str:
    sound = Sound.objects.filter(pk=sound_id).first()
    if sound is None:
        logger.info("Sound %s is gone; nothing to normalize", sound_id)
        progress.advance(batch, ok=False)
        return "gone"
    outcome = normalize_sound(sound=sound, force=force, one_pass=one_pass)
    progress.advance(batch, ok=outcome.status in ("normalized", "skipped"))

    sound_changed(sound_id)
    return outcome.status


@shared_task(name="sounds.scan", acks_late=True, reject_on_worker_lost=True, time_limit=3000, soft_time_limit=2900)
def scan_task(*, types: list[str] | None = None, user_id: int | None = None) -> dict[str, int]:

    try:
        result = scan(types=types, progress=progress.Throttled("scan"))
    except ScanAlreadyRunning as exc:
        events.send_to_staff("toast", {"message": str(exc), "level": "warning"})
        return {}
    queue_normalization(result.new_sound_ids, user_id=user_id)
    events.send_to_staff("scan_report", {"report": result.as_dict(), "counts": result.counts()})
    if result.added or result.deleted or result.updated:
        events.broadcast("library_changed", {})
    return result.counts()


@shared_task(name="sounds.tts", acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=280)
def tts_task(*, user_id: int, text: str, voice: str, speed: int, transaction_id: int, slot: str | None = None) -> str:
    try:
        sound = create_tts_sound(user_id=user_id, text=text, voice=voice, speed=speed)
    except Exception as exc:
        detail = exc.detail if isinstance(exc, TtsError) else "The speech could not be made."
        logger.warning("TTS failed for user %s: %s", user_id, exc, exc_info=not isinstance(exc, TtsError))
        tx = CreditTransaction.objects.filter(pk=transaction_id).first()
        if tx is not None:
            refund(tx, reason=detail)
        events.send_to_user(user_id, "toast", {"message": f"{detail} Your credits were refunded.", "level": "error"})
        return "failed"
    finally:
        pending.give_back("tts", user_id, slot)  # the user's line is no longer waiting
    events.send_to_user(user_id, "toast", {"message": f"“{sound.name}” is ready on the board.", "level": "success"})
    events.broadcast("library_changed", {})
    return "created"
