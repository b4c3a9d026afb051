"""The extraction runs' work folders under EXTRACTION_TEMP_DIR (SOUNDS_ROOT/temp by default), and the sweep of
the ones a dead run left.

A run removes its folder on the way out, but a worker killed with SIGKILL (the OOM killer, a power cut, a
redeploy) never gets there. Each folder is named after its job and the claim of the run that made it, so the
sweep can tell a live run's folder from a dead one's by asking the database, without guessing from ages.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from extraction.models import Extraction, Status

logger = logging.getLogger(__name__)

TOKEN_CHARS = 12
_NAME = re.compile(rf"^extraction-(\d+)-([0-9a-f]{{{TOKEN_CHARS}}})-")


def temp_root() -> Path:
    """EXTRACTION_TEMP_DIR, or SOUNDS_ROOT/temp. Nothing else may live there: the sweep removes what it finds."""
    configured = settings.EXTRACTION_TEMP_DIR
    root = Path(configured) if configured else Path(settings.SOUNDS_ROOT) / "temp"
    root.mkdir(parents=True, exist_ok=True)
    return root


def create(job: Extraction) -> Path:
    """A fresh folder for this run of the job (call it once the run holds its claim)."""
    return Path(tempfile.mkdtemp(prefix=f"extraction-{job.pk}-{job.claim[:TOKEN_CHARS]}-", dir=temp_root()))


def _held(name: str) -> bool | None:
    """True when a live run's claim owns the folder, False when none does, None for a name not ours."""
    match = _NAME.match(name)
    if match is None:
        return None
    return Extraction.objects.filter(pk=int(match[1]), status=Status.PROCESSING, claim__startswith=match[2]).exists()


def clean(now: datetime) -> int:
    """Remove every folder no live run holds. A run that holds a folder made it after claiming, so a folder
    found here whose claim is gone (completed, failed, retried, taken over) can only belong to a dead run; a
    folder with some other name is removed once nothing has touched it for EXTRACTION_STALE_AFTER_S."""
    stale = (now - timedelta(seconds=settings.EXTRACTION_STALE_AFTER_S)).timestamp()
    removed = 0
    for entry in temp_root().iterdir():
        held = _held(entry.name)
        if held or (held is None and entry.lstat().st_mtime >= stale):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        logger.info("Removed %d work folder(s) left by extraction runs that died", removed)
    return removed
