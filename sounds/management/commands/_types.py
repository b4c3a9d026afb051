from __future__ import annotations

from django.core.management.base import CommandError

from sounds.models import SoundType

TYPE_NAMES = {t.value: t.value for t in SoundType} | {"soundboard": "SDB", "tts": "TTS", "extracted": "EXT"}


def parse_type(value: str | None) -> str | None:
    if value is None:
        return None
    found = TYPE_NAMES.get(value) or TYPE_NAMES.get(value.upper()) or TYPE_NAMES.get(value.lower())
    if found is None:
        raise CommandError(f"Unknown type {value!r}; use SDB, TTS or EXT.")
    return found
