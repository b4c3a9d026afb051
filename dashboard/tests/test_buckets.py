"""The charts' local days and hours, counted from UTC quarter hours, match counting every row in local time.

Plays are put on both sides of daylight saving changes (Berlin, New York, Lord Howe's half-hour shift), in
zones a half or three quarters of an hour off UTC (Kolkata, Kathmandu), and exactly on quarter-hour and
midnight edges, then compared with a count made row by row with zoneinfo in Python.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dashboard import buckets, stats
from sounds.models import SoundPlayed
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "UTC"]
NOW = datetime(2026, 11, 3, 12, 7, 30, tzinfo=UTC)  # 90 days back crosses the autumn changes of both hemispheres


def _moments() -> list[datetime]:
    rng = random.Random(15)
    moments = [NOW - timedelta(seconds=rng.uniform(0, 95 * 86400)) for _ in range(400)]
    # Edges: whole quarter hours, local midnights and the instants the clocks change, and one microsecond either side.
    for zone in ZONES:
        tz = ZoneInfo(zone)
        for days_back in (0, 1, 29, 30, 31, 89):
            midnight = datetime.combine(
                (NOW - timedelta(days=days_back)).astimezone(tz).date(), datetime.min.time(), tz
            )
            moments += [midnight, midnight - timedelta(microseconds=1), midnight + timedelta(minutes=15)]
        for change, _, _ in buckets.offset_spans(NOW - timedelta(days=95), NOW, tz=tz)[1:]:
            moments += [change, change - timedelta(microseconds=1)]
    return [m for m in moments if m <= NOW]


@pytest.fixture
def plays() -> list[datetime]:
    sound = SoundFactory.create()
    moments = _moments()
    rows = SoundPlayed.objects.bulk_create([SoundPlayed(sound=sound) for _ in moments])
    for row, moment in zip(rows, moments, strict=True):
        row.played_at = moment
    SoundPlayed.objects.bulk_update(rows, ["played_at"])
    return moments


@pytest.mark.parametrize("zone", ZONES)
def test_days_and_hours_match_a_count_of_every_row_in_local_time(settings, plays, zone):
    settings.TIME_ZONE = zone
    tz = ZoneInfo(zone)
    with timezone.override(zone):
        per_day = stats.plays_per_day(days=30, now=NOW)
        by_hour = stats.plays_by_hour(days=90, now=NOW)
    first = per_day[0][0]
    local_days = Counter(m.astimezone(tz).date() for m in plays)
    assert per_day == [(first + timedelta(days=i), local_days[first + timedelta(days=i)]) for i in range(30)]
    hours = Counter(m.astimezone(tz).hour for m in plays if m >= NOW - timedelta(days=90))
    assert by_hour == [hours[h] for h in range(24)]
    assert sum(by_hour) > 300


def test_the_spans_cut_exactly_where_the_clocks_change():
    tz = ZoneInfo("Europe/Berlin")
    spans = buckets.offset_spans(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), tz=tz)
    assert [(start, end, offset) for start, end, offset in spans] == [
        (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 60),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), None, 120),
    ]
