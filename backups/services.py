"""Backups: a folder per run under BACKUPS_DIR holding a consistent copy of the database, a manifest of the
media folder and a description (`backup.json`); the newest BACKUPS_KEEP are kept.

A run writes into a hidden folder and renames it into place at the end, so a folder with a visible name is
complete: a run killed half-way leaves a hidden folder that a later run removes, never a backup that looks
whole and is not. A restore checks everything it was given (the description, the copy's checksum and content,
every manifest path) before it touches the database.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from backups import database, manifest

logger = logging.getLogger(__name__)

FORMAT = 1
DESCRIPTION = "backup.json"
MANIFEST = "media-manifest.json"
NAME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(-\d+)?$")
# Hidden folders of runs that died: removed once surely nobody writes them any more.
ABANDONED_AFTER_S = 24 * 3600
# What restoring over means "losing data": tables whose rows people made (not what `migrate` seeds).
PRECIOUS = ("sounds.Sound", "credits.CreditTransaction")


class BackupError(Exception):
    """A backup or restore refused, with a message for the person at the terminal."""


def backups_dir() -> Path:
    return Path(settings.BACKUPS_DIR)


@dataclass(frozen=True)
class Made:
    path: Path
    files: int
    removed: list[str]


# --- Backup ---------------------------------------------------------------------------------------------------
def _previous_manifest() -> dict[tuple[str, str], manifest.Entry]:
    for folder in reversed(complete_backups()):
        try:
            return {(e.root, e.path): e for e in manifest.read(folder / MANIFEST)}
        except manifest.BadManifest:
            continue
    return {}


def _new_name(now: datetime) -> str:
    base = now.strftime("%Y-%m-%dT%H-%M-%SZ")
    taken = {p.name for p in backups_dir().iterdir()}
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def create(*, now: datetime | None = None, keep: int | None = None) -> Made:
    """Back up the database and list the media; then keep only the newest `keep` (BACKUPS_KEEP)."""
    kind = database.engine()
    backups_dir().mkdir(parents=True, exist_ok=True)
    name = _new_name((now or timezone.now()).astimezone(UTC))
    work = backups_dir() / f".{name}.partial"
    work.mkdir()
    try:
        entries = manifest.build(_previous_manifest())
        manifest.write(work / MANIFEST, entries)
        copy = work / database.FILENAMES[kind]
        database.dump(copy)
        description = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": kind,
            "database": copy.name,
            "database_size": copy.stat().st_size,
            "database_sha256": manifest.sha256_of(copy),
            "media_files": len(entries),
            "media_bytes": sum(e.size for e in entries),
        }
        (work / DESCRIPTION).write_text(json.dumps(description, indent=1))
        final = backups_dir() / name
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    removed = prune(keep=keep)
    logger.info("Backup written to %s (%d media files); removed %s", final, len(entries), removed or "none")
    return Made(final, len(entries), removed)


def complete_backups() -> list[Path]:
    """Finished backups, oldest first (their names sort by time)."""
    if not backups_dir().is_dir():
        return []
    found = [p for p in backups_dir().iterdir() if p.is_dir() and NAME.match(p.name) and (p / DESCRIPTION).is_file()]
    return sorted(found, key=lambda p: p.name)


def prune(*, keep: int | None = None) -> list[str]:
    """Remove all but the newest `keep` backups, and hidden folders of runs that died long ago."""
    # At least one: the backup just made is never removed by its own run.
    keep = max(1, int(settings.BACKUPS_KEEP if keep is None else keep))
    doomed = complete_backups()[:-keep]
    for folder in doomed:
        shutil.rmtree(folder)
    for folder in backups_dir().glob(".*.partial"):
        if time.time() - folder.stat().st_mtime > ABANDONED_AFTER_S:
            shutil.rmtree(folder, ignore_errors=True)
    return [p.name for p in doomed]


# --- Restore --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Checked:
    folder: Path
    kind: str
    copy: Path
    entries: list[manifest.Entry]


def find(given: str) -> Path:
    """A backup by its folder name under BACKUPS_DIR, or by path."""
    candidate = Path(given)
    if not candidate.is_absolute() and not candidate.exists() and NAME.match(given):
        candidate = backups_dir() / given
    return candidate


def check(folder: Path) -> Checked:
    """Everything a restore relies on, checked before the database is touched. Raises BackupError."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise BackupError(f"There is no backup folder at {folder}.")
    try:
        description: Any = json.loads((folder / DESCRIPTION).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{folder} is not a complete backup: {DESCRIPTION} is missing.") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder / DESCRIPTION} is not readable JSON.") from exc
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise BackupError(f"{folder} was not written by this version's `manage.py backup`.")
    kind = database.engine()
    if description.get("engine") != kind:
        raise BackupError(
            f"This backup is of a {description.get('engine')} database; the configured one is {kind}. "
            "Restore it with the same DATABASE_URL kind it was made with."
        )
    copy = folder / database.FILENAMES[kind]
    if description.get("database") != copy.name or not copy.is_file():
        raise BackupError(f"{folder} is not a complete backup: the database copy is missing.")
    if manifest.sha256_of(copy) != description.get("database_sha256"):
        raise BackupError(f"The database copy in {folder} is damaged (its checksum does not match).")
    try:
        database.check_copy(copy, kind)
        entries = manifest.read(folder / MANIFEST)
    except (database.DatabaseCopyFailed, manifest.BadManifest) as exc:
        raise BackupError(f"The backup in {folder} cannot be used: {exc}.") from exc
    return Checked(folder, kind, copy, entries)


def holds_data() -> list[str]:
    """What the configured database already holds that a restore would overwrite (empty: nothing)."""
    tables = set(connections["default"].introspection.table_names())
    found = []
    for model in (get_user_model(), *(apps.get_model(label) for label in PRECIOUS)):
        if model._meta.db_table in tables and model._default_manager.exists():
            found.append(str(model._meta.verbose_name_plural))
    return found


def restore(checked: Checked, *, force: bool = False) -> manifest.Check:
    """Put the database copy in place of the configured database, then compare the media with the manifest.

    Refuses a database that holds users, sounds or ledger entries unless `force`: a restore replaces them.
    """
    held = holds_data()
    if held and not force:
        raise BackupError(
            f"The database is not empty (it has {', '.join(held)}); a restore would replace them. "
            "Restore into an empty database, or pass --force to overwrite this one."
        )
    try:
        database.restore(checked.copy)
    except database.DatabaseCopyFailed as exc:
        raise BackupError(f"The restore failed and changed nothing: {exc}") from exc
    return manifest.check(checked.entries)
