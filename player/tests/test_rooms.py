"""Rooms (issue 13) without a player running: slugs, choosing a room, ?room=, quiet hours per room, the admin."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from core.redis_client import sync_client
from credits.models import CreditTransaction
from player import quiet, rooms
from player.models import ChosenRoom, QuietWindow, Room
from player.protocol import heartbeat_key
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db

LONG = "a" * 200


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def horn(sdb) -> Sound:
    media.tone(sdb / "horn.wav", 0.3, freq=500)
    scan()
    return Sound.objects.get(filename="horn.wav")


@pytest.fixture(autouse=True)
def _no_players() -> None:
    # A player another test module left running must not answer for these rooms.
    sync_client().delete(*(heartbeat_key(slug) for slug in ("main", "bar", "terrace")))


@pytest.mark.parametrize("slug", ["bar room", LONG, "Bar", "-bar", "bär", "bar/..", ""])
def test_a_bad_slug_is_refused_at_the_command_line_with_what_a_slug_looks_like(slug):
    with pytest.raises(CommandError, match="is not a room slug: 1 to 40 characters: lower-case letters"):
        call_command("run_player", room=slug, output="none")
    assert not Room.objects.exclude(slug="main").exists()


@pytest.mark.parametrize("slug", ["bar room", LONG, "Bar"])
def test_a_bad_slug_is_refused_by_the_model_and_the_database(slug):
    with pytest.raises(ValidationError, match="lower-case letters, digits and hyphens"):
        Room(slug=slug, name="x").full_clean()


def test_main_exists_from_the_migration_and_everyone_plays_there_until_they_choose(user):
    assert Room.objects.filter(slug="main").exists()
    assert rooms.chosen(user).slug == "main"
    assert rooms.resolve(user=user, requested=None) == "main"


def test_choosing_a_room_is_remembered_and_a_deleted_room_falls_back_to_main(user):
    Room.objects.create(slug="bar", name="The bar")
    client = signed_in(user)
    answer = client.put("/api/v1/rooms/current", {"room": "bar"}, content_type="application/json")
    assert answer.status_code == 200
    assert (answer.json()["slug"], answer.json()["chosen"]) == ("bar", True)
    assert client.get("/api/v1/rooms/current").json()["slug"] == "bar"
    assert rooms.resolve(user=user, requested=None) == "bar"
    # The player API without ?room= now means the bar.
    assert client.get("/api/v1/player/state").json()["room"] == "bar"
    Room.objects.filter(slug="bar").delete()
    assert not ChosenRoom.objects.exists()
    assert client.get("/api/v1/rooms/current").json()["slug"] == "main"


@pytest.mark.parametrize(
    ("room", "status", "detail"),
    [
        ("", 400, "The room is empty: give a room's slug (?room=main)"),
        ("bar room", 400, "“bar room” is not a room: 1 to 40 characters"),
        (LONG, 400, f"“{'a' * 40}…” is not a room: 1 to 40 characters"),
        ("cellar", 404, "There is no room “cellar”"),
        ("*", 400, "“*” (every room) is for playing a sound in every room"),
    ],
)
def test_a_bad_room_is_refused_before_anything_is_charged(user, horn, room, status, detail):
    client = signed_in(user)
    for method, path in [
        ("post", f"/api/v1/sounds/play/{horn.pk}"),
        ("post", "/api/v1/sounds/play/random"),
        ("post", "/api/v1/sounds/stop"),
        ("get", "/api/v1/player/state"),
        ("post", "/api/v1/player/play"),
        ("post", "/api/v1/player/seek"),
        ("get", "/api/v1/player/queue"),
        ("get", "/api/v1/quiet-hours"),
    ]:
        if room == "*" and path.startswith("/api/v1/sounds/play"):
            continue  # an announcement there: see below
        payload = {"position_ms": 0} if path.endswith("seek") else {}
        answer = getattr(client, method)(f"{path}?room={room}", payload, content_type="application/json")
        assert answer.status_code == status, path
        assert answer.json()["detail"].startswith(detail), path
    put = client.put("/api/v1/rooms/current", {"room": room}, content_type="application/json")
    assert put.status_code == (400 if room == "*" else status)
    assert rooms.chosen(user).slug == "main"
    assert not CreditTransaction.objects.filter(user=user, amount__lt=0).exists()


def test_an_announcement_is_for_staff_only_and_needs_an_online_room(user, staff, horn):
    refused = signed_in(user).post(f"/api/v1/sounds/play/{horn.pk}?room=*")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only staff can play a sound in every room at once."
    offline = signed_in(staff).post(f"/api/v1/sounds/play/{horn.pk}?room=*")
    assert offline.status_code == 503
    assert offline.json()["detail"] == "No room's player is online, so nothing was played and nothing was charged."
    assert not CreditTransaction.objects.filter(amount__lt=0).exists()


def test_a_play_to_an_offline_room_names_it_and_charges_nothing(user, horn):
    Room.objects.create(slug="bar", name="Bar")
    answer = signed_in(user).post(f"/api/v1/sounds/play/{horn.pk}?room=bar")
    assert answer.status_code == 503
    assert (
        answer.json()["detail"] == "The player of room “bar” is offline, so nothing was played and nothing was charged."
    )
    user.refresh_from_db()
    assert user.credits == 25


def test_the_rooms_list_says_which_room_is_yours_and_that_offline_rooms_play_nothing(user):
    Room.objects.create(slug="terrace", name="Terrace", default_volume=40)
    listed = signed_in(user).get("/api/v1/rooms").json()
    assert [(r["slug"], r["name"], r["online"], r["chosen"]) for r in listed] == [
        ("main", "Main", False, True),
        ("terrace", "Terrace", False, False),
    ]
    terrace = listed[1]
    assert (terrace["default_volume"], terrace["last_heartbeat"], terrace["clips"], terrace["music"]) == (
        40,
        None,
        [],
        None,
    )


def _window(day: int, start: str, end: str, room: Room | None) -> QuietWindow:
    w = QuietWindow(day=day, start=time.fromisoformat(start), end=time.fromisoformat(end), room=room)
    w.full_clean()
    w.save()
    return w


def test_quiet_hours_are_per_room_and_a_window_without_a_room_is_for_every_room(user, horn):
    today = timezone.localtime().weekday()
    bar = Room.objects.create(slug="bar", name="Bar")
    Room.objects.create(slug="terrace", name="Terrace")
    _window(today, "00:00", "00:00", bar)
    assert quiet.current(room="bar") is not None
    assert quiet.current(room="terrace") is None
    assert quiet.current(room="main") is None
    client = signed_in(user)
    assert client.post(f"/api/v1/sounds/play/{horn.pk}?room=bar").status_code == 423
    assert client.get("/api/v1/quiet-hours?room=bar").json()["active"] is True
    assert client.get("/api/v1/quiet-hours?room=terrace").json()["active"] is False
    # Not quiet in the terrace: the play goes on to the terrace's (offline) player.
    assert client.post(f"/api/v1/sounds/play/{horn.pk}?room=terrace").status_code == 503
    QuietWindow.objects.all().delete()
    _window(today, "00:00", "00:00", None)
    assert all(quiet.current(room=slug) is not None for slug in ("bar", "terrace", "main"))
    windows = client.get("/api/v1/quiet-hours?room=terrace").json()["windows"]
    assert [w["room"] for w in windows] == [None]
    user.refresh_from_db()
    assert user.credits == 25


def test_windows_overlap_only_where_they_can_apply_to_the_same_room():
    bar, terrace = Room.objects.create(slug="bar", name="Bar"), Room.objects.create(slug="terrace", name="Terrace")
    _window(0, "10:00", "12:00", bar)
    _window(0, "10:00", "12:00", terrace)  # another room: no overlap
    with pytest.raises(ValidationError, match="It overlaps Monday 10:00-12:00 in Bar"):
        _window(0, "11:00", "13:00", bar)
    with pytest.raises(ValidationError, match="It overlaps"):
        _window(0, "11:00", "13:00", None)  # every room's meets the bar's
    _window(0, "14:00", "15:00", None)
    with pytest.raises(ValidationError, match="It overlaps Monday 14:00-15:00"):
        _window(0, "14:30", "16:00", terrace)


@pytest.fixture
def admin() -> User:
    return User.objects.create_superuser("admin@example.com", "a long enough password")


def test_the_admin_refuses_to_delete_main_and_deletes_an_offline_room(admin):
    client = signed_in(admin)
    main = Room.objects.get(slug="main")
    answer = client.post(f"/admin/player/room/{main.pk}/delete/", {"post": "yes"}, follow=True)
    assert "“main” is where everyone plays until they choose a room" in answer.content.decode()
    assert Room.objects.filter(slug="main").exists()
    bar = Room.objects.create(slug="bar", name="Bar")
    answer = client.post(f"/admin/player/room/{bar.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not Room.objects.filter(slug="bar").exists()


def test_the_admin_refuses_a_bad_slug_with_the_rule(admin):
    client = signed_in(admin)
    answer = client.post("/admin/player/room/add/", {"slug": "the bar", "name": "Bar", "default_volume": 80})
    assert answer.status_code == 200
    assert "lower-case letters, digits and hyphens" in answer.content.decode()
    assert not Room.objects.filter(name="Bar").exists()
    added = client.post("/admin/player/room/add/", {"slug": "bar", "name": "Bar", "default_volume": 80})
    assert added.status_code == 302
    assert Room.objects.filter(slug="bar").exists()


def test_the_dashboard_api_filters_plays_by_room(user, horn):
    bar = Room.objects.create(slug="bar", name="Bar")
    main = Room.objects.get(slug="main")
    for room, n in ((main, 2), (bar, 3)):
        for _ in range(n):
            SoundPlayed.objects.create(sound=horn, user=user, source="api", room=room)
    client = signed_in(user)
    assert client.get("/api/v1/dashboard/track-statistics").json()["total_plays"] == 5
    assert client.get("/api/v1/dashboard/track-statistics?room=bar").json()["total_plays"] == 3
    top = client.get("/api/v1/dashboard/top-sounds?room=main").json()
    assert (top["room"], [i["plays"] for i in top["items"]]) == ("main", [2])
    assert client.get("/api/v1/dashboard/top-sounds?room=cellar").status_code == 404
    assert client.get("/api/v1/dashboard/top-sounds?room=").status_code == 400
