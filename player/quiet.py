"""Quiet hours: whether sounds and music are refused right now, and until when.

Windows are weekly, in the site's TIME_ZONE (`player.models.QuietWindow`). Adjacent windows are read as one
(Monday 22:00-00:00 and Tuesday 00:00-07:00 are quiet until Tuesday 07:00), so a night needs no special case.
Staff are never refused: their plays go through (the banner and the API say so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from core.errors import UserError
from player.models import QUIET_CACHE_KEY, WEEKDAYS, QuietWindow

DAY_NAMES = dict(WEEKDAYS)


class QuietHours(UserError):
    """A 423 with the time it ends and Retry-After: nothing was charged."""

    def __init__(self, period: Quiet) -> None:
        super().__init__(
            f"Quiet hours: sounds and music are off until {period.until_text}. Nothing was charged.",
            423,
            retry_after=max(1, math.ceil((period.until - timezone.now()).total_seconds())),
        )


@dataclass(frozen=True)
class Quiet:
    until: datetime  # aware, in the site's time zone
    note: str = ""

    @property
    def until_text(self) -> str:
        """ "07:00" today, "Tuesday 07:00" on another day (a week away or more: "further notice")."""
        now = timezone.localtime()
        if self.until - now >= timedelta(days=7):
            return "further notice"
        if self.until.date() == now.date():
            return f"{self.until:%H:%M}"
        return f"{DAY_NAMES[self.until.weekday()]} {self.until:%H:%M}"


def _intervals(windows: list[QuietWindow], around: datetime) -> list[tuple[datetime, datetime, str]]:
    """Every window's occurrence in the week before, of and after `around` (naive local wall-clock times)."""
    monday = datetime.combine(around.date() - timedelta(days=around.weekday()), datetime.min.time())
    found = []
    for week in (-7, 0, 7):
        for w in windows:
            day = monday + timedelta(days=week + w.day)
            found.append((day + timedelta(minutes=w.start_minute), day + timedelta(minutes=w.end_minute), w.note))
    return sorted(found)


def current(now: datetime | None = None) -> Quiet | None:
    """The quiet period `now` is in (to the end of every window adjoining it), or None."""
    windows = cache.get(QUIET_CACHE_KEY)
    if windows is None:
        windows = list(QuietWindow.objects.all())
        cache.set(QUIET_CACHE_KEY, windows, 300)
    if not windows:
        return None
    local = timezone.localtime(now).replace(tzinfo=None)
    intervals = _intervals(windows, local)
    inside = [(start, end, note) for start, end, note in intervals if start <= local < end]
    if not inside:
        return None
    until = max(end for _, end, _ in inside)
    # Follow windows that start where (or before) this one ends; two weeks of windows at most.
    for start, end, _ in intervals:
        if start <= until < end:
            until = end
    return Quiet(until=timezone.make_aware(until), note=inside[0][2])


def check(user: User) -> None:
    """Refuse (423) a play or music command during quiet hours; staff go through."""
    if user.is_staff:
        return
    period = current()
    if period is not None:
        raise QuietHours(period)
