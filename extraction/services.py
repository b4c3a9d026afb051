"""Extraction workflows: submit (validate, charge, queue), process (yt-dlp → sound), reap stuck jobs."""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from yt_dlp.extractor import gen_extractor_classes

import ratelimits
from accounts.models import User
from core import jobs
from core.claims import Claims, Lost, Outcome
from core.errors import UserError
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from extraction import clips, fetch, runner, urlguard, workdirs
from extraction.models import ACTIVE, Extraction, Status
from live import events
from live.contexts import ExtractionJob, ExtractionProgress, LibraryChanged
from sounds import audio
from sounds.models import Sound, SoundType, originals_dir, thumbnails_dir
from sounds.services import normalize_sound

logger = logging.getLogger(__name__)


class ExtractionError(UserError):
    pass


# --- Which site is it? ------------------------------------------------------------------------------------
@cache
def _extractor_classes() -> tuple[Any, ...]:

    return tuple(gen_extractor_classes())


@dataclass(frozen=True)
class Detected:
    service: str
    service_id: str


def allowed_services() -> list[str]:
    return [s.lower() for s in settings.EXTRACTION_ALLOWED_SERVICES]


def detect(url: str) -> Detected:
    """The yt-dlp extractor that takes the URL, if it is one of the allowed services' single-item ones."""
    allowed = allowed_services()
    for ie in _extractor_classes():
        name = ie.IE_NAME.lower()
        if name == "generic" or not ie.suitable(url):
            continue
        if name in allowed:
            try:
                return Detected(name, str(ie.get_temp_id(url) or ""))
            except Exception:
                return Detected(name, "")
        if name.split(":")[0] in allowed:
            raise ExtractionError("Playlists, channels and albums are not supported: paste a link to one item.")
        raise ExtractionError(f"That site is not supported. Supported: {', '.join(allowed)}.")
    if settings.EXTRACTION_ALLOW_GENERIC:  # tests only: a direct link to a media file
        return Detected("generic", "")
    raise ExtractionError(f"That site is not supported. Supported: {', '.join(allowed)}.")


# --- Submit -------------------------------------------------------------------------------------------------
def check_trims(trim_start: float | None, trim_end: float | None) -> None:
    """Trim times are finite seconds within the longest sound allowed; NaN and infinities never get in."""
    for value in (trim_start, trim_end):
        if value is not None and not (math.isfinite(value) and 0 <= value <= settings.EXTRACTION_MAX_DURATION_S):
            raise ExtractionError(
                "Start and end are seconds from the beginning, above zero and at most "
                f"{settings.EXTRACTION_MAX_DURATION_S}."
            )
    if trim_end is not None and trim_end <= 0:
        raise ExtractionError("Start and end are seconds from the beginning, above zero.")
    if trim_start is not None and trim_end is not None and trim_end <= trim_start:
        raise ExtractionError("The end must come after the start.")


def submit(*, user: User, url: str, trim_start: float | None = None, trim_end: float | None = None) -> Extraction:
    """Validate the link, charge, and queue the job. Raises a UserError (ExtractionError, InsufficientCredits);
    nothing is created on failure.

    Cheap checks and the rate limit come first: a DNS lookup (which an attacker's name server can make slow)
    is only made for a request that could otherwise be accepted.
    """
    try:
        url, host, port = urlguard.check_syntax(url)
    except urlguard.BlockedURL as exc:
        raise ExtractionError(str(exc)) from exc
    check_trims(trim_start, trim_end)
    if Extraction.objects.for_user(user.pk).active().count() >= settings.EXTRACTION_MAX_ACTIVE_PER_USER:
        raise ExtractionError(
            f"You already have {settings.EXTRACTION_MAX_ACTIVE_PER_USER} extractions running; wait for one.", 429
        )
    ratelimits.hit("extraction", user.pk, "EXTRACTION_RATE_LIMIT", detail="Too many links; try again shortly.")
    try:
        urlguard.check_address(host, port)
    except urlguard.BlockedURL as exc:
        raise ExtractionError(str(exc)) from exc
    detected = detect(url)
    with transaction.atomic():
        # Not enough credits is an InsufficientCredits: a 402 refusal like the others.
        tx = credits.debit(
            user_id=user.pk,
            amount=credits.cost_of(CreditAction.AUDIO_EXTRACTION),
            action=CreditAction.AUDIO_EXTRACTION,
            metadata={"url": url[:200]},
        )
        job = Extraction.objects.create(
            url=url,
            user=user,
            service=detected.service,
            service_id=detected.service_id,
            trim_start=trim_start,
            trim_end=trim_end,
            transaction_id=tx.pk,
        )
        transaction.on_commit(lambda: _enqueue_or_refund(job))
    return job


def enqueue(extraction_id: int) -> None:
    jobs.enqueue("extraction.process", extraction_id=extraction_id)


def _enqueue_or_refund(job: Extraction) -> None:
    """After the debit committed: queue the job, or (broker down) fail it, refund, and say so with a 503."""
    reason = "The job could not be queued (the task queue is unreachable); your credits were refunded."
    jobs.enqueue_or_fail(
        "extraction.process",
        {"extraction_id": job.pk},
        unclaimed=Extraction.objects.filter(pk=job.pk, status=Status.PENDING, claim=""),
        failed={"status": Status.FAILED, "error": reason, "updated_at": timezone.now()},
        reason=reason,
        refund=functools.partial(_refund, job, reason),
        error=ExtractionError,
    )


# --- Claims ----------------------------------------------------------------------------------------------------
# Extraction jobs are claimed rows like the library's (core.claims), with their own limits.
CLAIMS = Claims(
    model=Extraction,
    pending=Status.PENDING,
    processing=Status.PROCESSING,
    failed=Status.FAILED,
    finished=(Status.COMPLETED, Status.FAILED),
    max_attempts_setting="EXTRACTION_MAX_ATTEMPTS",
    takeover_after_setting="EXTRACTION_TAKEOVER_AFTER_S",
    heartbeat_setting="EXTRACTION_HEARTBEAT_S",
)


def claim(extraction_id: int) -> Extraction | Outcome:
    """Take the job for this run (see core.claims); past the attempt limit it fails and is refunded instead."""
    return CLAIMS.claim(extraction_id, give_up=give_up)


def give_up(job: Extraction, reason: str) -> bool:
    """Fail a job nobody holds any more (conditional on what we saw), and refund it once."""
    # The failure and its refund commit together: a worker dying between them would leave a failed job that
    # nothing refunds any more (sweeps only look at active jobs).
    with transaction.atomic():
        if not CLAIMS.fail_as_seen(job, stage="", error=reason[:500]):
            return False
        _refund(job, reason)
    events.send_to_user(job.user_id, _event(job))
    return True


# --- Progress ------------------------------------------------------------------------------------------------
def _update(job: Extraction, **fields: Any) -> None:
    """Write progress of this run: conditional on its claim, so a run that lost the job raises Lost instead."""
    CLAIMS.write(job, **fields)
    events.send_to_user(job.user_id, _event(job))


def _event(job: Extraction) -> ExtractionProgress:
    return ExtractionProgress(
        job=ExtractionJob(
            id=job.pk,
            status=job.status,
            status_label=Status(job.status).label,
            stage=job.stage,
            progress=job.progress,
            title=job.title,
            url=job.url,
            error=job.error,
            sound_id=job.sound_id,
        )
    )


def fail(job: Extraction, reason: str) -> None:
    """A readable error, a refund, and the user told: only while this run still holds the job. The failure and
    its refund commit together (see give_up)."""
    with transaction.atomic():
        _update(job, status=Status.FAILED, stage="", error=reason[:500])
        _refund(job, reason)


def _refund(job: Extraction, reason: str) -> None:
    tx = CreditTransaction.objects.filter(pk=job.transaction_id).first() if job.transaction_id else None
    if tx is not None:
        credits.refund(tx, reason=reason[:200])


# --- Process -------------------------------------------------------------------------------------------------
def _fetch_config(job: Extraction, workdir: Path) -> fetch.Config:
    allowed = allowed_services() + (["generic"] if settings.EXTRACTION_ALLOW_GENERIC else [])
    return fetch.Config(
        url=job.url,
        workdir=str(workdir),
        allowed_extractors=allowed,
        allowed_private_ips=list(settings.EXTRACTION_ALLOWED_PRIVATE_IPS),
        max_duration_s=settings.EXTRACTION_MAX_DURATION_S,
        max_filesize=settings.EXTRACTION_MAX_FILESIZE_MB * 1024 * 1024,
        audio_format=settings.EXTRACTION_AUDIO_FORMAT,
        audio_bitrate=settings.EXTRACTION_AUDIO_BITRATE,
        # CPU time never exceeds the wall-clock limit by much; the floor leaves room for start-up in short tests.
        cpu_seconds=max(60, int(settings.EXTRACTION_FETCH_TIMEOUT_S)),
        parent_pid=os.getpid(),
    )


def process(job: Extraction) -> Outcome:
    """Claim the job, then run it to its end: completed, or failed with a refund."""
    claimed = claim(job.pk)
    if not isinstance(claimed, Extraction):
        return claimed
    try:
        _run(claimed)
    except Lost:
        logger.warning("Extraction %s was taken over by another run; this one stops", job.pk)
    return Outcome.RAN


WARNINGS_MAX_CHARS = 4000


def _run(job: Extraction) -> None:
    """One claimed run. Temporary files never survive it."""
    _update(job, stage="detecting", progress=0, error="", warnings="")
    workdir = workdirs.create(job)
    last = {"at": 0.0}
    title = job.url
    warned: list[str] = []

    def on_info(info: runner.Info) -> bool:
        nonlocal title
        title = info.title
        _update(job, service=info.service, service_id=info.service_id, title=title, stage="checking")
        duplicate = _already_extracted(job, info.service, info.service_id)
        if duplicate is not None:
            _link_existing(job, duplicate, "This was already extracted")
            return False
        _update(job, stage="downloading")
        return True

    def on_progress(percent: int) -> None:
        now = time.monotonic()
        if now - last["at"] > 0.5:  # at most two updates a second
            last["at"] = now
            _update(job, stage="downloading", progress=min(percent, 99))

    def on_warning(message: str) -> None:
        warned.append(message)
        _update(job, warnings="\n".join(warned)[-WARNINGS_MAX_CHARS:])

    try:
        with CLAIMS.heartbeat(job, f"extraction-{job.pk}"):
            try:
                media = runner.fetch(
                    _fetch_config(job, workdir),
                    timeout=settings.EXTRACTION_FETCH_TIMEOUT_S,
                    on_info=on_info,
                    on_progress=on_progress,
                    on_warning=on_warning,
                )
            except runner.Stopped:
                return
            except runner.FetchFailed as exc:
                raise ExtractionError(exc.message if exc.readable else _readable(exc.message)) from exc
            _finish(job, media, workdir, title)
    except ExtractionError as exc:
        fail(job, exc.detail)
    except Lost:
        raise
    except Exception as exc:
        logger.exception("Extraction %s failed", job.pk)
        fail(job, f"Something went wrong: {type(exc).__name__}.")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _finish(job: Extraction, media: Path, workdir: Path, title: str) -> None:
    _update(job, stage="converting", progress=100)
    if job.trim_start is not None or job.trim_end is not None:
        try:
            media = clips.trim(media, job.trim_start, job.trim_end)
        except clips.ClipError as exc:
            raise ExtractionError(str(exc)) from exc
    try:
        info_audio = audio.probe(media)
    except audio.NotAudioError as exc:
        raise ExtractionError(f"The link has no usable audio ({exc}).") from exc
    if info_audio.duration_ms > settings.EXTRACTION_MAX_DURATION_S * 1000:
        # Direct links only reveal their length once downloaded.
        raise ExtractionError(f"That is longer than {settings.EXTRACTION_MAX_DURATION_S // 60} minutes.")
    digest = audio.file_hash(media)
    existing = Sound.objects.filter(hash=digest).first()
    if existing is not None and existing.pk == job.sound_id:
        # An earlier run of this very job stored it and died before the end: finish, don't refund.
        normalize_sound(sound=existing)
        _update(job, status=Status.COMPLETED, stage="", progress=100)
        return
    if existing is not None:
        _link_existing(job, existing, "The same audio is already in the library")
        return
    sound = _store(job, media, workdir, info_audio.duration_ms, digest, title)
    normalize_sound(sound=sound)
    _update(job, status=Status.COMPLETED, stage="", progress=100)
    events.broadcast(LibraryChanged())


def _readable(message: str) -> str:
    message = message.replace("ERROR: ", "").strip()
    if "Blocked connection" in message:
        return "The link led to a private address, which is not allowed."
    if "Unsupported URL" in message:
        return "That site is not supported."
    if "audio codec" in message or "does not contain any stream" in message:
        return "The link has no usable audio."
    http = re.search(r"HTTP Error (\d{3}): ([^(]+)", message)
    if http:
        return f"The site answered {http.group(1)} {http.group(2).strip()}."
    return message[:300] or "The download failed."


def _already_extracted(job: Extraction, service: str, service_id: str) -> Sound | None:
    if not service_id or service == "generic":
        return None
    other = (
        Extraction.objects.filter(service=service, service_id=service_id, status=Status.COMPLETED, sound__isnull=False)
        .exclude(pk=job.pk)
        .select_related("sound")
        .first()
    )
    return other.sound if other else None


def _link_existing(job: Extraction, sound: Sound, why: str) -> None:
    with transaction.atomic():  # the end and its refund together (see give_up)
        _update(job, status=Status.COMPLETED, stage="", progress=100, sound=sound, error=f"{why}: “{sound.name}”.")
        _refund(job, f"{why}; nothing new to pay for")


def _store(job: Extraction, media: Path, workdir: Path, duration_ms: int, digest: str, title: str) -> Sound:
    stem = f"{slugify(title)[:60] or 'extracted'}-{digest[:8]}"
    final = originals_dir(SoundType.EXT) / f"{stem}{media.suffix}"
    final.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(media), final)
    picture = clips.find_thumbnail(workdir)
    thumbnail = clips.save_thumbnail(picture, thumbnails_dir(), stem) if picture is not None else ""
    try:
        with transaction.atomic():
            # The sound and the job's link to it commit together, and only while this run holds the job.
            sound = Sound.objects.create(
                type=SoundType.EXT,
                name=title[:255],
                filename=final.name,
                duration=duration_ms,
                size=final.stat().st_size,
                hash=digest,
                file_mtime=final.stat().st_mtime,
                thumbnail=thumbnail,
                uploaded_by_id=job.user_id,
            )
            _update(job, stage="normalizing", sound=sound)
            return sound
    except Lost:
        _remove_stored(final, thumbnail)
        raise
    except IntegrityError as exc:
        _remove_stored(final, thumbnail)
        raise ExtractionError("The same audio was just added by someone else.") from exc


def _remove_stored(final: Path, thumbnail: str) -> None:
    final.unlink(missing_ok=True)
    if thumbnail:
        (thumbnails_dir() / thumbnail).unlink(missing_ok=True)


# --- Reaper and retry ---------------------------------------------------------------------------------------------
def reap(*, now: Any = None) -> dict[str, int]:
    """The periodic sweep. Jobs whose worker went quiet are retried up to the attempt limit, then failed and
    refunded; pending jobs nobody claimed for EXTRACTION_REQUEUE_AFTER_S lost their message and get another
    (a duplicate message is harmless: only one run can claim the job). Every move is a conditional UPDATE on
    what the sweep saw, so a worker that comes back to life, or a second sweep, can't make it happen twice.
    Work folders of runs that died (killed before their own clean-up) go too."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EXTRACTION_STALE_AFTER_S)
    dead = Extraction.objects.filter(status=Status.PROCESSING, heartbeat_at__lt=stale)
    retried, failed = CLAIMS.retry_or_give_up(dead, now, give_up=give_up, enqueue=enqueue, stage="retrying")
    # A pending job's last sign of life is when it was queued (or re-sent): its `updated_at`.
    lost = now - timedelta(seconds=settings.EXTRACTION_REQUEUE_AFTER_S)
    waiting = Extraction.objects.filter(status=Status.PENDING, updated_at__lt=lost)
    requeued = CLAIMS.resend_lost(waiting, now, mark="updated_at", enqueue=enqueue)
    workdirs.clean(now)
    return {"retried": retried, "failed": failed, "requeued": requeued}


def retry(*, job: Extraction, user: User) -> Extraction:
    """A user asks again for a failed job: a fresh charge, the same link."""
    if job.status != Status.FAILED:
        raise ExtractionError("Only a failed extraction can be retried.", 409)
    return submit(user=user, url=job.url, trim_start=job.trim_start, trim_end=job.trim_end)


def active_for(user_id: int) -> int:
    return Extraction.objects.filter(user_id=user_id, status__in=ACTIVE).count()
