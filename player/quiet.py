"""Quiet hours: whether sounds and music are refused right now, and until when.

Windows are weekly, in the site's TIME_ZONE (`player.models.QuietWindow`), each for one room or (no room) for
every room: a room is quiet when its own windows or the site-wide ones say so. Adjacent windows are read as one
(Monday 22:00-00:00 and Tuesday 00:00-07:00 are quiet until Tuesday 07:00), so a night needs no special case.
Staff are never refused: their plays go through (the banner and the API say so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import User
from core.errors import UserError
from live import events
from live.contexts import QuietHoursChanged
from player.models import QUIET_CACHE_KEY, WEEKDAYS, QuietWindow
from player.protocol import DEFAULT_ROOM

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


def windows_of(room: str) -> list[QuietWindow]:
    """The windows that apply to `room`: its own and the site-wide ones (all windows are cached together)."""
    windows: list[QuietWindow] | None = cache.get(QUIET_CACHE_KEY)
    if windows is None:
        windows = list(QuietWindow.objects.select_related("room"))
        cache.set(QUIET_CACHE_KEY, windows, 300)
    return [w for w in windows if w.applies_to(room)]


def current(now: datetime | None = None, *, room: str = DEFAULT_ROOM) -> Quiet | None:
    """The quiet period `room` is in at `now` (to the end of every window adjoining it), or None."""
    windows = windows_of(room)
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


# Pages ask again at least this often, whatever the windows say: a change of the clock or of the time zone shows.
LONGEST_WAIT_S = 3600


@dataclass(frozen=True)
class Outlook:
    """Whether it is quiet now, and in how many seconds that next changes (a window starts or ends)."""

    period: Quiet | None
    changes_in_s: int  # at most LONGEST_WAIT_S, so a page re-reads it at least hourly


def outlook(now: datetime | None = None, *, room: str = DEFAULT_ROOM) -> Outlook:
    """What the board's banner shows and when it must look again: pages re-fetch it `changes_in_s` later, so the
    banner comes and goes at the boundary without a reload (the server's clock decides, not the browser's)."""
    now = now or timezone.now()
    period = current(now, room=room)
    if period is not None:
        change = period.until
    else:
        local = timezone.localtime(now).replace(tzinfo=None)
        starts = [start for start, _, _ in _intervals(windows_of(room), local) if start > local]
        change = timezone.make_aware(min(starts)) if starts else now + timedelta(seconds=LONGEST_WAIT_S)
    # Rounded up, so the page asks once the boundary has passed, not a moment before it.
    wait = math.ceil((change - now).total_seconds())
    return Outlook(period=period, changes_in_s=max(1, min(LONGEST_WAIT_S, wait)))


def check(user: User, *, room: str) -> None:
    """Refuse (423) a play or music command during `room`'s quiet hours; staff go through."""
    if user.is_staff:
        return
    period = current(room=room)
    if period is not None:
        raise QuietHours(period)


@receiver([post_save, post_delete], sender=QuietWindow, dispatch_uid="quiet-hours-changed")
def _tell_the_pages(**kwargs: object) -> None:
    """Any change (the staff page, the admin, a shell): every open page re-reads its banner, once committed. The
    daemon needs no word: it looks every second (`player.daemon.music`). Connected in `PlayerConfig.ready`."""
    transaction.on_commit(lambda: events.broadcast(QuietHoursChanged()))
