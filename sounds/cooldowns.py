"""Per-sound cooldowns: after a play of a sound nobody can play it again for its `cooldown_s`.

The cooldown is taken before the play is charged, by one conditional UPDATE of `next_play_at` (free, or its time
has passed): of two plays at once exactly one moves the row, the other is refused with a 429 and charged
nothing. A play that is then refused or refunded gives the cooldown back, conditional on the value it set, so it
never frees a cooldown another play took meanwhile.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.utils import timezone

from core.errors import UserError
from sounds.models import Sound


class CoolingDown(UserError):
    def __init__(self, name: str, wait_s: int) -> None:
        super().__init__(f"“{name}” was just played: it can play again in {wait_s} s.", 429, retry_after=wait_s)


def seconds_left(until: datetime | None, now: datetime | None = None) -> int:
    """Whole seconds until `until` (rounded up), 0 when it has passed or there is none."""
    if until is None:
        return 0
    return max(0, math.ceil((until - (now or timezone.now())).total_seconds()))


def take(sound: Sound) -> datetime | None:
    """Start the sound's cooldown for a play about to be charged: its end, or None when it has none.

    Raises CoolingDown (429, Retry-After) when another play's cooldown still holds.
    """
    if sound.cooldown_s <= 0:
        return None
    now = timezone.now()
    until = now + timedelta(seconds=sound.cooldown_s)
    if Sound.objects.filter(pk=sound.pk).off_cooldown(now).update(next_play_at=until):
        return until
    current = Sound.objects.filter(pk=sound.pk).values_list("next_play_at", flat=True).first()
    raise CoolingDown(sound.name, max(1, seconds_left(current, now)))


def give_back(sound_id: int, until: datetime | None) -> None:
    """Undo `take` for a play that did not happen (refused, refunded). Only our own cooldown is cleared."""
    if until is not None:
        Sound.objects.filter(pk=sound_id, next_play_at=until).update(next_play_at=None)
