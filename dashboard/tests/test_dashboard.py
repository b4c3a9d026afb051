from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from dashboard import stats
from player.models import Room
from sounds.models import SoundPlayed
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


def play(sound, user=None, *, at: datetime, source: str = "board") -> None:
    row = SoundPlayed.objects.create(sound=sound, user=user, source=source)
    SoundPlayed.objects.filter(pk=row.pk).update(played_at=at)


def test_an_empty_database_gives_zeros_everywhere(authed_client):
    figures = stats.track_statistics()
    assert figures["total_plays"] == 0
    assert figures["most_active_users"] == []
    board = authed_client.get("/api/v1/dashboard/soundboard-statistics").json()
    assert board["total_sounds"] == 0
    assert board["sounds"] == {"SDB": 0, "TTS": 0, "EXT": 0}
    assert authed_client.get("/api/v1/dashboard/top-sounds").json()["items"] == []
    page = authed_client.get("/dashboard/")
    assert page.status_code == 200
    assert b"No plays yet in this view." in page.content


def test_counts_by_period_source_and_player(user):
    now = timezone.now()
    other = UserFactory.create(name="Other")
    horn, bell = SoundFactory.create(name="Horn"), SoundFactory.create(name="Bell", type="TTS")
    play(horn, user, at=now - timedelta(minutes=1))
    play(horn, user, at=now - timedelta(days=3), source="api")
    play(bell, other, at=now - timedelta(days=20))
    play(bell, None, at=now - timedelta(days=200), source="player")
    figures = stats.track_statistics(now=now)
    assert figures["total_plays"] == 4
    assert figures["plays_this_week"] == 2
    assert figures["plays_this_month"] == 3
    assert figures["distinct_players"] == 2
    assert figures["plays_by_source"] == {"board": 2, "api": 1, "player": 1}
    assert [u["plays"] for u in figures["most_active_users"]] == [2, 1]
    top = stats.top_sounds(period="1_week")
    assert [(t["name"], t["plays"]) for t in top] == [("Horn", 2)]
    assert [t["name"] for t in stats.top_sounds(sound_type="TTS")] == ["Bell"]
    assert [t["plays"] for t in stats.top_sounds()] == [2, 2]


def test_today_starts_at_midnight_in_the_configured_time_zone(settings, user):
    settings.TIME_ZONE = "Europe/Paris"
    sound = SoundFactory.create()
    with timezone.override("Europe/Paris"):
        now = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # 12:00 in Paris
        play(sound, user, at=datetime(2026, 6, 14, 22, 30, tzinfo=UTC))  # 00:30 Paris, today
        play(sound, user, at=datetime(2026, 6, 14, 21, 30, tzinfo=UTC))  # 23:30 Paris, yesterday
        assert stats.track_statistics(now=now)["plays_today"] == 1
        days = dict(stats.plays_per_day(days=2, now=now))
        assert list(days.values()) == [1, 1]
        hours = stats.plays_by_hour(now=now)
        assert hours[0] == 1
        assert hours[23] == 1


@pytest.mark.parametrize(
    "query",
    ["sound_type=XYZ", "period=forever", "limit=0", "limit=101", "limit=ten"],
)
def test_bad_top_sounds_parameters_are_400_with_the_allowed_values(authed_client, query):
    response = authed_client.get(f"/api/v1/dashboard/top-sounds?{query}")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "limit" in detail or "use one of" in detail


def test_queries_do_not_grow_with_the_data(authed_client, user, django_assert_max_num_queries):
    def fill(n: int) -> None:
        for i in range(n):
            play(SoundFactory.create(), user, at=timezone.now() - timedelta(hours=i))

    fill(3)
    with django_assert_max_num_queries(30) as small:
        authed_client.get("/dashboard/")
    fill(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        authed_client.get("/dashboard/")


def test_the_charts_are_valid_svg_with_the_expected_bars(authed_client, user):
    now = timezone.now()
    for i, name in enumerate(["A", "B", "C"]):
        sound = SoundFactory.create(name=name)
        for _ in range(i + 1):
            play(sound, user, at=now - timedelta(minutes=5))
    html = authed_client.get("/dashboard/?period=today&limit=5").content.decode()
    svgs = [
        html[i : html.index("</svg>", i) + 6] for i in range(len(html)) if html.startswith('<svg class="chart__svg', i)
    ]
    assert len(svgs) == 5
    ns = {"s": "http://www.w3.org/2000/svg"}
    top = ElementTree.fromstring(svgs[0])  # noqa: S314  (our own page)
    assert top.findtext("s:title", namespaces=ns) == "Top sounds, today"
    bars = top.findall("s:rect", ns)
    assert [b.findtext("s:title", namespaces=ns) for b in bars] == ["C: 3", "B: 2", "A: 1"]
    widths = [float(b.get("width") or 0) for b in bars]
    assert widths[0] > widths[1] > widths[2] > 0
    per_day = ElementTree.fromstring(svgs[1])  # noqa: S314
    assert len(per_day.findall("s:rect", ns)) == 30


def test_the_page_falls_back_on_bad_filters_and_explains(authed_client):
    response = authed_client.get("/dashboard/?period=nope")
    assert response.status_code == 400
    assert b"Unknown period" in response.content
    too_many = authed_client.get("/dashboard/?limit=1000")
    assert too_many.status_code == 400
    assert b"limit must be between 1 and 100" in too_many.content
    partial = authed_client.get("/dashboard/?type=TTS&period=today", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b"<html" not in partial.content


def test_sound_names_with_markup_are_escaped_in_charts(authed_client, user):
    play(SoundFactory.create(name="<script>x</script>"), user, at=timezone.now())
    html = authed_client.get("/dashboard/?period=all_time").content.decode()
    assert "<script>x</script>" not in html


def test_top_sounds_match_a_plain_count_of_the_rows_for_every_filter(user):
    """The top list is counted per sound in SQL and then joined to the sounds: it must rank exactly as counting
    the rows one by one would, ties broken by name, for each type, period, person and room."""
    now = timezone.now()
    other = UserFactory.create()
    main, attic = Room.ensure("main"), Room.ensure("attic")
    sounds = [
        SoundFactory.create(name=name, type=kind)
        for name, kind in [("Horn", "SDB"), ("Bell", "TTS"), ("Anvil", "SDB"), ("Drum", "EXT"), ("Cymbal", "SDB")]
    ]
    # (sound, person, room, days ago): Anvil and Horn tie this week, so their names decide the order.
    layout: list[tuple[int, User | None, Room, float]] = [
        (0, user, main, 0),
        (0, user, main, 2),
        (2, other, attic, 1),
        (2, user, attic, 3),
        (1, None, main, 5),
    ]
    layout += [(1, other, main, 40), (1, user, attic, 40), (3, user, main, 400), (4, other, attic, 9)]
    layout += [(3, other, main, 0.01), (4, user, main, 100)]
    rows = []
    for index, by, where, days in layout:
        at = now - timedelta(days=days, minutes=1)
        row = SoundPlayed.objects.create(sound=sounds[index], user=by, room=where)
        SoundPlayed.objects.filter(pk=row.pk).update(played_at=at)
        rows.append((sounds[index], by, where, at))
    for period in stats.PERIODS:
        start = stats.period_start(period)
        for sound_type in stats.TYPES:
            for who in (None, user, other):
                for room in (None, main, attic):
                    counted = Counter(
                        sound
                        for sound, by, where, at in rows
                        if (start is None or at >= start)
                        and (sound_type == "all" or sound.type == sound_type)
                        and (who is None or by == who)
                        and (room is None or where == room)
                    )
                    expected = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0].name))[:3]
                    got = stats._top(sound_type, period, 3, who.pk if who else None, room.slug if room else None)
                    assert [(t["name"], t["type"], t["plays"]) for t in got] == [
                        (s.name, s.type, n) for s, n in expected
                    ], (period, sound_type, who, room)


def test_your_card_counts_only_your_own_plays_by_period(authed_client, user):
    now = timezone.now()
    horn = SoundFactory.create()
    other = UserFactory.create()
    play(horn, user, at=now - timedelta(minutes=1))
    play(horn, user, at=now - timedelta(days=3))
    play(horn, user, at=now - timedelta(days=20))
    play(horn, user, at=now - timedelta(days=90))
    play(horn, other, at=now - timedelta(minutes=1))
    assert stats.play_counts(user_id=user.pk, now=now) == {
        "total_plays": 4,
        "plays_today": 1,
        "plays_this_week": 2,
        "plays_this_month": 3,
    }
    page = authed_client.get("/dashboard/").content.decode()
    assert 'data-testid="dash-mine">4<' in page
    assert "1 today · 2 this week" in page
