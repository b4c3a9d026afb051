"""Live events about sounds: a sound's state changed, or the library as a whole did."""

from __future__ import annotations

from live import events
from live.contexts import SoundStatus
from sounds.models import Sound


def sound_changed(sound_id: int) -> None:
    sound = (
        Sound.objects.filter(pk=sound_id)
        .values("id", "is_normalized", "normalization_error", "normalization_status")
        .first()
    )
    if sound is not None:
        events.broadcast(SoundStatus(**sound))
