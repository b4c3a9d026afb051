"""Start-up checks of the extraction folders (`manage.py check`, and every process start).

EXTRACTION_THUMBNAILS_DIR is served, and every served file must lie under SOUNDS_ROOT or MEDIA_ROOT
(sounds.paths): elsewhere, every thumbnail would answer 404. EXTRACTION_TEMP_DIR is swept: whatever no live
run holds is deleted, so it must never be (or hold) the library, the media or the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


def _resolved(value: Any) -> Path:
    return Path(value).resolve()


@register()
def extraction_folders(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    served = (_resolved(settings.SOUNDS_ROOT), _resolved(settings.MEDIA_ROOT))
    if settings.EXTRACTION_THUMBNAILS_DIR:
        thumbs = _resolved(settings.EXTRACTION_THUMBNAILS_DIR)
        if not any(thumbs.is_relative_to(root) for root in served):
            errors.append(
                Error(
                    "EXTRACTION_THUMBNAILS_DIR must be inside SOUNDS_ROOT or MEDIA_ROOT (files are only served "
                    "from there).",
                    id="extraction.E001",
                )
            )
    if settings.EXTRACTION_TEMP_DIR:
        temp = _resolved(settings.EXTRACTION_TEMP_DIR)
        sounds = _resolved(settings.SOUNDS_ROOT)
        kept = (*served, _resolved(settings.VAR_DIR), _resolved(settings.BASE_DIR))
        inside_library = any(temp.is_relative_to(sounds / name) for name in ("originals", "normalized"))
        if inside_library or any(root.is_relative_to(temp) for root in kept):
            errors.append(
                Error(
                    "EXTRACTION_TEMP_DIR must be a folder of its own: its sweep deletes what no running job "
                    "holds, so it may not be or hold SOUNDS_ROOT, MEDIA_ROOT, VAR_DIR or the project, nor lie "
                    "inside the library's originals or normalized folders.",
                    id="extraction.E002",
                )
            )
    return errors
