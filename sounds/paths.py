"""Every path we serve, play, write or delete is resolved and must stay inside the folder it belongs to.

A file name comes from the database, an admin form, a scan or a player message; any of them may carry `..`,
an absolute path or a link that points out of `SOUNDS_ROOT`/`MEDIA_ROOT`. `contained` resolves (following
links) and refuses anything whose real location is outside the allowed roots.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


class UnsafePath(ValueError):
    pass


def contained(path: Path | str, *roots: Path | str) -> Path:
    """The resolved `path`, or UnsafePath when it (or a link on the way) leads outside every root."""
    real = Path(path).resolve()
    for root in roots or (settings.SOUNDS_ROOT, settings.MEDIA_ROOT):
        if real.is_relative_to(Path(root).resolve()):
            return real
    raise UnsafePath(f"{path} is outside the allowed folders")


def is_contained(path: Path | str, *roots: Path | str) -> bool:
    try:
        contained(path, *roots)
    except (UnsafePath, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False
    return True
