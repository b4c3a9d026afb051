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
from pathlib import Path

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sounds import audio
from sounds.models import TYPE_FOLDERS, Sound, SoundType, humanize, originals_dir, validate_relative_name
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
LOCK_KEY = "sounds:scan-lock"
LOCK_TIMEOUT_S = 3600

Progress = Callable[[int, int, str], None]


class ScanAlreadyRunning(Exception):
    pass


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
    """Scan the folders of the given types (all by default). Raises ScanAlreadyRunning."""
    if not cache.add(LOCK_KEY, "1", LOCK_TIMEOUT_S):
        raise ScanAlreadyRunning("A scan is already running; wait for it to finish.")
    try:
        result = ScanResult()
        for sound_type in types or list(TYPE_FOLDERS):
            _scan_type(SoundType(sound_type), result, dry_run=dry_run, progress=progress)
        return result
    finally:
        cache.delete(LOCK_KEY)


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
