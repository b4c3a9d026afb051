"""Half-written files a dead normalization left beside the normalized ones, swept with the library's jobs.

The normalizer writes `.part-*` next to its final place (and, for short clips, trial renders in a `tmp*`
folder there) and moves the result in one step; a worker killed with SIGKILL never removes them, and its ffmpeg
may even finish writing one after it died. A live render keeps touching its file, so one untouched for longer
than a run may stay quiet (SOUNDS_JOB_STALE_AFTER_S) belongs to nobody.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from sounds.models import TYPE_FOLDERS, normalized_dir

logger = logging.getLogger(__name__)


def _candidates() -> Iterator[Path]:
    for sound_type in TYPE_FOLDERS:
        folder = normalized_dir(sound_type)
        if folder.is_dir():
            yield from folder.glob(".part-*")
            yield from (p for p in folder.glob("tmp*") if p.is_dir() and not p.is_symlink())


def _last_touched(path: Path) -> float:
    if path.is_dir():
        return max([path.lstat().st_mtime, *(p.lstat().st_mtime for p in path.rglob("*"))])
    return path.lstat().st_mtime


def clean(now: datetime) -> int:
    stale = (now - timedelta(seconds=float(settings.SOUNDS_JOB_STALE_AFTER_S))).timestamp()
    removed = 0
    for path in _candidates():
        try:
            if _last_touched(path) >= stale:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:  # its run finished (or another sweep took it) meanwhile
            continue
        removed += 1
    if removed:
        logger.info("Removed %d half-written file(s) left by normalizations that died", removed)
    return removed
