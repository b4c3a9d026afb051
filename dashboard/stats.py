"""Statistics for the dashboard: a handful of aggregate queries, each a fixed number of round trips."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from accounts.models import User
from core.errors import UserError
from credits.models import CreditTransaction
from dashboard.buckets import UtcDate, UtcQuarterOfDay, local_date, offset_spans, quarter_exact
from playlists.models import Playlist
from sounds.models import Sound, SoundPlayed, SoundType, thumbnails_dir
from sounds.services import PLAYS_GENERATION_KEY

PERIODS = ("today", "1_day", "1_week", "1_month", "1_year", "all_time")
TYPES = ("all", *SoundType.values)
LIMITS = (1, 100)


class StatsError(UserError):
    pass


# The figures' shapes: what the page reads and, as the API's response schemas, what goes on the wire.
class StorageBytes(TypedDict):
    originals: int
    normalized: int
    thumbnails: int


class BoardStatistics(TypedDict):
    sounds: dict[str, int]  # by sound type
    total_sounds: int
    total_duration_ms: int
    duration_by_type_ms: dict[str, int]
    playlists: int
    storage_bytes: StorageBytes
    users: int


class ActiveUser(TypedDict):
    user_id: int
    name: str
    plays: int


class PlayCounts(TypedDict):
    total_plays: int
    plays_today: int
    plays_this_week: int
    plays_this_month: int


class TrackStatistics(PlayCounts):
    distinct_players: int
    plays_by_source: dict[str, int]
    most_active_users: list[ActiveUser]


class TopSound(TypedDict):
    sound_id: int
    name: str
    type: str
    plays: int


def validate(*, sound_type: str, period: str, limit: int) -> None:
    if sound_type not in TYPES:
        raise StatsError(f"Unknown sound_type {sound_type!r}; use one of: {', '.join(TYPES)}.")
    if period not in PERIODS:
        raise StatsError(f"Unknown period {period!r}; use one of: {', '.join(PERIODS)}.")
    if not LIMITS[0] <= limit <= LIMITS[1]:
        raise StatsError(f"limit must be between {LIMITS[0]} and {LIMITS[1]}.")


def _midnight(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    """Where a period begins. "today" starts at midnight in the configured TIME_ZONE, the others roll."""
    now = now or timezone.now()
    if period == "today":
        return _midnight(now)
    days = {"1_day": 1, "1_week": 7, "1_month": 30, "1_year": 365}.get(period)
    return now - timedelta(days=days) if days else None


def _folder_bytes(path: os.PathLike[str] | str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def soundboard_statistics() -> BoardStatistics:
    return cached("board", (), _board)


def _board() -> BoardStatistics:
    by_type: dict[str, dict[str, Any]] = {
        row["type"]: dict(row) for row in Sound.objects.values("type").annotate(count=Count("id"), ms=Sum("duration"))
    }
    totals = Sound.objects.aggregate(
        count=Count("id"), ms=Sum("duration"), originals=Sum("size"), normalized=Sum("normalized_size")
    )
    return {
        "sounds": {t: int(by_type.get(t, {}).get("count") or 0) for t in SoundType.values},
        "total_sounds": int(totals["count"] or 0),
        "total_duration_ms": int(totals["ms"] or 0),
        "duration_by_type_ms": {t: int(by_type.get(t, {}).get("ms") or 0) for t in SoundType.values},
        "playlists": Playlist.objects.count(),
        "storage_bytes": {
            "originals": int(totals["originals"] or 0),
            "normalized": int(totals["normalized"] or 0),
            "thumbnails": _folder_bytes(thumbnails_dir()),
        },
        "users": User.objects.filter(is_active=True).count(),
    }


def _plays(*, user_id: int | None = None, room: str | None = None) -> QuerySet[SoundPlayed]:
    """Every play, or one person's, or one room's (a room's slug: `player.rooms` checks it first)."""
    plays = SoundPlayed.objects.all()
    plays = plays.filter(user_id=user_id) if user_id is not None else plays
    return plays.in_room(room) if room is not None else plays


def track_statistics(
    *, now: datetime | None = None, user_id: int | None = None, room: str | None = None
) -> TrackStatistics:
    if now is None:
        return cached(
            "track", (user_id, room), lambda: track_statistics(now=timezone.now(), user_id=user_id, room=room)
        )
    plays = _plays(user_id=user_id, room=room)
    by_source = {row["source"]: row["n"] for row in plays.values("source").annotate(n=Count("id")).order_by()}
    # One pass over the user index gives both the most active and how many played at all (one row per player).
    per_user = plays.filter(user__isnull=False).values("user_id").annotate(plays=Count("id")).order_by()
    players = sorted(per_user, key=lambda r: (-r["plays"], r["user_id"]))
    active = players[:5]
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=[r["user_id"] for r in active])}
    return {
        **_counts(plays, now),
        "distinct_players": len(players),
        "plays_by_source": {s: int(by_source.get(s, 0)) for s in ("board", "player", "api")},
        "most_active_users": [
            {"user_id": r["user_id"], "name": names.get(r["user_id"], "?"), "plays": r["plays"]} for r in active
        ],
    }


def play_counts(*, user_id: int, room: str | None = None, now: datetime | None = None) -> PlayCounts:
    """One person's plays in all and by period: what the page's "You" card shows, and no more.

    The sources and most active players of their own plays are shown nowhere; grouping the person's rows by
    source alone cost about 8 ms at 12,000 plays (a table read per row: the user index does not hold the source).
    """
    if now is None:
        return cached("counts", (user_id, room), lambda: play_counts(user_id=user_id, room=room, now=timezone.now()))
    return _counts(_plays(user_id=user_id, room=room), now)


def _counts(plays: QuerySet[SoundPlayed], now: datetime) -> PlayCounts:
    # Separate small queries, each answered from an index (played_at, or user then played_at): one conditional
    # aggregate over the whole table would scan every row.
    periods = {name: plays.filter(played_at__gte=period_start(p, now)).count() for name, p in PERIOD_COUNTS.items()}
    return {
        "total_plays": plays.count(),
        "plays_today": periods["today"],
        "plays_this_week": periods["week"],
        "plays_this_month": periods["month"],
    }


PERIOD_COUNTS = {"today": "today", "week": "1_week", "month": "1_month"}


# --- Caching -------------------------------------------------------------------------------------------------
# Figures stay cached until the next play (record_play bumps the plays generation) or a minute passes: the page
# refreshes itself on every play, and all viewers share one computation instead of one each.
CACHE_SECONDS = 60


def cached[T](name: str, args: tuple[Any, ...], compute: Callable[[], T]) -> T:
    generation = cache.get_or_set(PLAYS_GENERATION_KEY, 0, None)
    fingerprint = hashlib.sha1(f"{timezone.get_current_timezone_name()}:{args!r}".encode()).hexdigest()  # noqa: S324
    key = f"dashboard:{generation}:{name}:{fingerprint}"
    value: T | None = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def top_sounds(
    *,
    sound_type: str = "all",
    period: str = "all_time",
    limit: int = 10,
    user_id: int | None = None,
    room: str | None = None,
) -> list[TopSound]:
    validate(sound_type=sound_type, period=period, limit=limit)
    args = (sound_type, period, limit, user_id, room)
    return cached("top", args, lambda: _top(sound_type, period, limit, user_id, room))


def _top(sound_type: str, period: str, limit: int, user_id: int | None, room: str | None) -> list[TopSound]:
    plays = _plays(user_id=user_id, room=room)
    start = period_start(period)
    if start is not None:
        plays = plays.filter(played_at__gte=start)
    # Counted per sound first (a walk along the (sound, played_at) or (user, sound) index, grouped as it goes),
    # then joined to the few thousand sounds for their names. Grouping the joined rows by id, name and type
    # sorted every play instead: 32 ms for the all-time top at 100,000 plays, against 4 ms. The ORM cannot join
    # a grouped subquery, so the outer query is written here around the ORM's own SQL for the inner one.
    per_sound = plays.values("sound_id").annotate(n=Count("id")).order_by()
    inner, params = per_sound.query.get_compiler(using=per_sound.db).as_sql()
    q = connections[per_sound.db].ops.quote_name
    sound_id, n, table = q("sound_id"), q("n"), q(Sound._meta.db_table)
    name, type_, pk = q("name"), q("type"), q("id")
    where = ""
    if sound_type != "all":
        where, params = f"WHERE s.{type_} = %s", (*params, sound_type)
    # Only quoted names and the ORM's compiled SQL go into the text; every value (the filters, the limit) is a
    # parameter.
    select = f"SELECT g.{sound_id}, s.{name}, s.{type_}, g.{n}"
    joined = f"FROM ({inner}) g JOIN {table} s ON s.{pk} = g.{sound_id}"
    sql = f"{select} {joined} {where} ORDER BY g.{n} DESC, s.{name}, s.{pk} LIMIT %s"
    with connections[per_sound.db].cursor() as cursor:
        cursor.execute(sql, (*params, limit))
        rows = cursor.fetchall()
    return [{"sound_id": r[0], "name": r[1], "type": r[2], "plays": int(r[3])} for r in rows]


def plays_per_day(
    *, days: int = 30, user_id: int | None = None, room: str | None = None, now: datetime | None = None
) -> list[tuple[date, int]]:
    if now is None:
        return cached(
            "per_day",
            (days, user_id, room),
            lambda: plays_per_day(days=days, user_id=user_id, room=room, now=timezone.now()),
        )
    today = timezone.localtime(now).date()
    first = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time(), tzinfo=tz)  # a local midnight, with that day's own offset
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=tz)
    spans = offset_spans(start, end)
    if not quarter_exact(spans):
        return _plays_per_day_per_row(user_id=user_id, room=room, first=first, days=days, start=start)
    counts: dict[date, int] = {}
    for begin, stop, offset in spans:
        rows = _plays(user_id=user_id, room=room).filter(played_at__gte=begin, played_at__lt=stop or end)
        grouped = rows.annotate(d=UtcDate("played_at"), q=UtcQuarterOfDay("played_at")).values("d", "q")
        for row in grouped.annotate(n=Count("id")).order_by():
            day = local_date(str(row["d"]), row["q"], offset)
            counts[day] = counts.get(day, 0) + int(row["n"])
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)]


def _plays_per_day_per_row(
    *, user_id: int | None, room: str | None, first: date, days: int, start: datetime
) -> list[tuple[date, int]]:
    """Exact for any offset, at the price of a Python function per row on SQLite."""
    tz = timezone.get_current_timezone()
    rows = (
        _plays(user_id=user_id, room=room)
        .filter(played_at__gte=start)
        .annotate(day=TruncDate("played_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
    )
    counts = {r["day"]: r["n"] for r in rows}
    return [(first + timedelta(days=i), int(counts.get(first + timedelta(days=i), 0))) for i in range(days)]


def plays_by_hour(
    *, user_id: int | None = None, room: str | None = None, days: int = 90, now: datetime | None = None
) -> list[int]:
    """Plays per hour of the day over the last `days`: a window keeps it an index range, not a full scan."""
    if now is None:
        return cached(
            "by_hour",
            (user_id, room, days),
            lambda: plays_by_hour(user_id=user_id, room=room, days=days, now=timezone.now()),
        )
    spans = offset_spans(now - timedelta(days=days), now)
    if not quarter_exact(spans):
        return _plays_by_hour_per_row(user_id=user_id, room=room, since=now - timedelta(days=days))
    counts = [0] * 24
    for start, end, offset in spans:
        rows = _plays(user_id=user_id, room=room).filter(played_at__gte=start)
        rows = rows.filter(played_at__lt=end) if end is not None else rows
        quarters = rows.annotate(q=UtcQuarterOfDay("played_at")).values("q").annotate(n=Count("id")).order_by()
        for row in quarters:
            counts[(row["q"] * 15 + offset) // 60 % 24] += int(row["n"])
    return counts


def _plays_by_hour_per_row(*, user_id: int | None, room: str | None, since: datetime) -> list[int]:
    """Exact for any offset, at the price of a Python function per row on SQLite."""
    tz = timezone.get_current_timezone()
    rows = (
        _plays(user_id=user_id, room=room)
        .filter(played_at__gte=since)
        .annotate(hour=ExtractHour("played_at", tzinfo=tz))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {r["hour"]: r["n"] for r in rows}
    return [int(counts.get(h, 0)) for h in range(24)]


def credits_spent_per_day(*, user_id: int, days: int = 30, now: datetime | None = None) -> list[tuple[date, int]]:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    first = today - timedelta(days=days - 1)
    start = _midnight(now) - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    rows = (
        CreditTransaction.objects.filter(user_id=user_id, amount__lt=0, created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(spent=Sum("amount"))
    )
    spent = {r["day"]: -int(r["spent"] or 0) for r in rows}
    return [(first + timedelta(days=i), spent.get(first + timedelta(days=i), 0)) for i in range(days)]


def time_zone_name() -> str:
    return str(settings.TIME_ZONE)
