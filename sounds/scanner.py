"""Keep the database in step with the sound folders.

Walks `SOUNDS_ROOT/originals/<type folder>` recursively. New audio files become sounds, changed ones are
re-read, rows whose file is gone are removed. Unchanged files (same size and mtime) are skipped without
being read, which keeps a rescan of thousands of files under a couple of seconds. Content decides what is
audio: a text file named `.mp3` is reported, not imported. Only one scan runs at a time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core import jobs
from core.claims import Lost, Outcome, new_token
from core.errors import UserError
from sounds import audio
from sounds.models import (
    TYPE_FOLDERS,
    JobState,
    Scan,
    Sound,
    SoundType,
    humanize,
    library_claims,
    originals_dir,
    validate_relative_name,
)
from sounds.paths import is_contained
from sounds.services import delete_sounds, forget_normalized

logger = logging.getLogger(__name__)

AUDIO_EXTENSIONS = frozenset(
    {
        ".mp3", ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".webm", ".aiff", ".aif",
        ".aifc", ".wma", ".mka", ".mp2", ".ac3", ".alac", ".caf", ".spx", ".amr", ".ape", ".wv",
    }
)  # fmt: skip
SKIP_DIRS = frozenset({"thumbnails"})

Progress = Callable[[int, int, str], None]


class ScanAlreadyRunning(UserError):
    def __init__(self, detail: str = "A scan is already running; wait for it to finish.") -> None:
        super().__init__(detail, 409)


@dataclass
class ScanResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    new_sound_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ("added", "updated", "deleted", "skipped", "duplicates", "errors")}

    def as_dict(self) -> dict[str, list[str]]:
        return {k: list(getattr(self, k)) for k in ("added", "updated", "deleted", "skipped", "duplicates", "errors")}


def _walk(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Relative path and stat of every audio-looking file under root, without following symlinked folders.

    A linked file is taken only when its target is inside root too: a link to /etc/passwd named horn.mp3 must
    not become a sound (serving and playing would refuse it anyway, but it would still be read and listed).
    """
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            logger.warning("Cannot read folder %s: %s", folder, exc)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS or folder != root:
                        stack.append(Path(entry.path))
                elif entry.is_file() and Path(entry.name).suffix.lower() in AUDIO_EXTENSIONS:
                    if entry.is_symlink() and not is_contained(entry.path, root):
                        logger.warning("Skipping %s: it links outside %s", entry.path, root)
                        continue
                    yield Path(entry.path).relative_to(root).as_posix(), entry.stat()
            except OSError:
                continue  # vanished between listing and stat: the next scan sees the truth


def scan(*, types: list[str] | None = None, dry_run: bool = False, progress: Progress | None = None) -> ScanResult:
    """Scan the folders of the given types (all by default), here and now. Raises ScanAlreadyRunning."""
    row = _start(types=types, status=JobState.PROCESSING, claim=new_token())
    try:
        with CLAIMS.heartbeat(row, f"scan-{row.pk}"):
            result = _scan_all(row, dry_run=dry_run, progress=progress)
    except BaseException as exc:
        _finish(row, status=JobState.FAILED, error=f"The scan stopped: {type(exc).__name__}.", strict=False)
        raise
    _finish(row, status=JobState.DONE, counts=result.counts(), strict=False)
    return result


def _scan_all(row: Scan, *, dry_run: bool, progress: Progress | None) -> ScanResult:
    result = ScanResult()
    for sound_type in row.types or list(TYPE_FOLDERS):
        _scan_type(SoundType(sound_type), result, dry_run=dry_run, progress=progress)
    return result


# --- One scan at a time, as a claimed row ----------------------------------------------------------------------
# A scan is a claimed job (core.claims) that also holds the one active place while it waits or runs.
CLAIMS = library_claims(Scan, claimable=Q(active=True))
GIVE_UP_SCAN = "The scan stopped half-way (its worker went quiet); start another."
QUEUE_DOWN = "The scan could not be queued (the task queue is unreachable); try again shortly."


def _start(*, types: list[str] | None, status: str, claim: str = "", user_id: int | None = None) -> Scan:
    """A new active scan row, or ScanAlreadyRunning while another is active and alive."""
    expire_stale()
    now = timezone.now()
    try:
        with transaction.atomic():
            return Scan.objects.create(
                status=status,
                claim=claim,
                attempts=1 if claim else 0,
                types=list(types or []),
                started_by_id=user_id,
                heartbeat_at=now,
            )
    except IntegrityError as exc:
        raise ScanAlreadyRunning() from exc


def expire_stale(*, now: Any = None) -> int:
    """Free the place of an active scan that stopped beating (its process died), conditional on what we saw."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=float(settings.SOUNDS_JOB_STALE_AFTER_S))
    freed = 0
    for row in Scan.objects.filter(active=True, status=JobState.PROCESSING, heartbeat_at__lt=stale):
        freed += Scan.objects.filter(pk=row.pk, status=row.status, claim=row.claim).update(
            status=JobState.FAILED, active=None, error=GIVE_UP_SCAN, updated_at=now
        )
    return freed


def request_scan(*, user_id: int | None, types: list[str] | None = None) -> Scan:
    """Queue a scan for the workers (staff page, API). Raises ScanAlreadyRunning, or a 503 when the queue is
    unreachable (the row is failed then, so it holds no place)."""
    row = _start(types=types, status=JobState.PENDING, user_id=user_id)
    jobs.enqueue_or_fail(
        "sounds.scan",
        {"scan_id": row.pk},
        unclaimed=Scan.objects.filter(pk=row.pk, status=JobState.PENDING, claim=""),
        # No charge to refund: the failed row just gives up its place, so another scan can be asked for.
        failed={"status": JobState.FAILED, "active": None, "error": QUEUE_DOWN},
        reason=QUEUE_DOWN,
    )
    return row


def enqueue(scan_id: int) -> None:
    jobs.enqueue("sounds.scan", scan_id=scan_id)


def claim(scan_id: int) -> Scan | Outcome:
    """Take a queued scan for this run (see core.claims); past the attempt limit it fails and frees its place."""
    return CLAIMS.claim(scan_id, give_up=_give_up)


def _give_up(row: Scan, reason: str) -> bool:
    return CLAIMS.fail_as_seen(row, active=None, error=reason[:300])


def run_claimed(row: Scan, *, progress: Progress | None = None) -> ScanResult:
    """A queued scan's run, once claimed. Raises Lost when another run took it over."""
    try:
        with CLAIMS.heartbeat(row, f"scan-{row.pk}"):
            result = _scan_all(row, dry_run=False, progress=_beating(row, progress))
    except Lost:
        raise
    except Exception:
        _finish(row, status=JobState.FAILED, error="The scan stopped on an unexpected error.", strict=False)
        raise
    _finish(row, status=JobState.DONE, counts=result.counts(), strict=True)
    return result


def _beating(row: Scan, progress: Progress | None) -> Progress:
    """Progress that also checks, now and then, that this run still holds the scan (else it stops: Lost)."""
    checked = {"at": 0}

    def report(done: int, total: int, current: str) -> None:
        if done - checked["at"] >= 200:
            checked["at"] = done
            if not _held(row).exists():
                raise Lost
        if progress is not None:
            progress(done, total, current)

    return report


def _held(row: Scan) -> QuerySet[Scan]:
    return CLAIMS.held(row)


def _finish(row: Scan, *, status: str, strict: bool, counts: dict[str, int] | None = None, error: str = "") -> None:
    done = _held(row).update(
        status=status, active=None, counts=counts or {}, error=error[:300], updated_at=timezone.now()
    )
    if strict and not done:
        raise Lost


def latest() -> Scan | None:
    """The scan staff see on the library page: the active one, else the last."""
    expire_stale()
    return Scan.objects.filter(active=True).first() or Scan.objects.first()


def sweep(now: Any) -> dict[str, int]:
    """Dead scans give up their place (they are not retried: a staff member starts another); a queued scan
    whose message was lost gets another."""
    failed = expire_stale(now=now)
    lost = now - timedelta(seconds=float(settings.SOUNDS_JOB_REQUEUE_AFTER_S))
    waiting = Scan.objects.filter(active=True, status=JobState.PENDING, heartbeat_at__lt=lost)
    requeued = CLAIMS.resend_lost(waiting, now, mark="heartbeat_at", enqueue=enqueue)
    return {"failed": failed, "requeued": requeued}


def _scan_type(sound_type: SoundType, result: ScanResult, *, dry_run: bool, progress: Progress | None) -> None:
    root = originals_dir(sound_type)
    if not dry_run:
        root.mkdir(parents=True, exist_ok=True)
    files = dict(_walk(root)) if root.is_dir() else {}
    # One query for everything the folder is compared with.
    known = {
        row[0]: row
        for row in Sound.objects.filter(type=sound_type).values_list("filename", "size", "file_mtime", "hash", "id")
    }
    known_hashes = dict(Sound.objects.values_list("hash", "filename"))
    total = len(files)
    for done, (rel, st) in enumerate(sorted(files.items()), start=1):
        label = f"{TYPE_FOLDERS[sound_type]}/{rel}"
        if progress:
            progress(done, total, label)
        row = known.get(rel)
        if row is not None and row[1] == st.st_size and abs(row[2] - st.st_mtime) < 1e-6:
            result.skipped.append(label)
            continue
        try:
            _import_file(sound_type, root / rel, rel, st, row, known_hashes, result, label, dry_run=dry_run)
        except ValidationError:
            result.errors.append(f"{label!r}: the file name has control characters; rename the file")
        except FileNotFoundError:
            result.errors.append(f"{label}: vanished during the scan")
        except audio.NotAudioError as exc:
            result.errors.append(f"{label}: not playable audio ({exc})")
        except OSError as exc:
            result.errors.append(f"{label}: unreadable ({exc.strerror or exc})")

    gone = [rel for rel in known if rel not in files]
    for rel in gone:
        result.deleted.append(f"{TYPE_FOLDERS[sound_type]}/{rel}")
    if gone and not dry_run:
        delete_sounds(Sound.objects.filter(type=sound_type, filename__in=gone), remove_originals=False)


def _import_file(
    sound_type: SoundType,
    path: Path,
    rel: str,
    st: os.stat_result,
    row: tuple[str, int, float, str, int] | None,
    known_hashes: dict[str, str],
    result: ScanResult,
    label: str,
    *,
    dry_run: bool,
) -> None:
    validate_relative_name(rel)
    info = audio.probe(path)
    digest = audio.file_hash(path)
    if row is not None and row[3] == digest:
        # Touched but identical: remember the new mtime so the next scan skips it.
        if not dry_run:
            Sound.objects.filter(pk=row[4]).update(file_mtime=st.st_mtime, size=st.st_size)
        result.skipped.append(label)
        return
    owner = known_hashes.get(digest)
    if owner is not None and owner != rel:
        result.duplicates.append(f"{label} (same audio as {owner})")
        return
    if dry_run:
        (result.updated if row else result.added).append(label)
        return
    fields = {"duration": info.duration_ms, "size": st.st_size, "hash": digest, "file_mtime": st.st_mtime}
    try:
        with transaction.atomic():
            if row is None:
                sound = Sound.objects.create(type=sound_type, filename=rel, name=humanize(rel), **fields)
                result.added.append(label)
            else:
                sound = Sound.objects.get(pk=row[4])

                forget_normalized(sound)
                for key, value in fields.items():
                    setattr(sound, key, value)
                sound.save()
                result.updated.append(label)
    except IntegrityError:
        result.duplicates.append(f"{label} (same audio as an existing sound)")
        return
    known_hashes[digest] = rel
    result.new_sound_ids.append(sound.pk)
