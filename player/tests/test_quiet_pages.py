"""Quiet hours on pages: the banner knows when it next changes, staff's page for the windows, the live word."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from live.tests.sockets import connect, receive_until
from player import quiet
from player.models import QuietWindow, Room

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23)  # a Monday


def at(day_offset: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return timezone.make_aware(MONDAY + timedelta(days=day_offset, hours=hour, minutes=minute, seconds=second))


def window(day: int, start: str, end: str, note: str = "") -> QuietWindow:
    return QuietWindow.objects.create(day=day, start=time.fromisoformat(start), end=time.fromisoformat(end), note=note)


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


# --- when the banner looks again ------------------------------------------------------------------------------
def test_outside_quiet_hours_the_banner_looks_again_when_the_next_window_starts():
    window(0, "12:00", "13:30")
    assert quiet.outlook(at(0, 11, 59, 30)) == quiet.Outlook(period=None, changes_in_s=30)
    # After Monday's window, the next is a week away: capped, so a page asks at least hourly.
    assert quiet.outlook(at(0, 14)).changes_in_s == quiet.LONGEST_WAIT_S


def test_inside_quiet_hours_the_banner_looks_again_when_they_end_adjoining_windows_joined():
    window(0, "22:00", "00:00")
    window(1, "00:00", "00:30")
    seen = quiet.outlook(at(0, 23, 45))
    assert seen.period is not None
    assert seen.changes_in_s == 45 * 60  # Tuesday 00:30, not Monday's midnight


def test_without_windows_the_banner_looks_again_within_the_hour():
    assert quiet.outlook() == quiet.Outlook(period=None, changes_in_s=quiet.LONGEST_WAIT_S)


def test_the_board_carries_the_banners_next_look_and_the_banner_part_answers_it(authed_client):
    now = timezone.localtime()
    QuietWindow.objects.create(day=now.weekday(), start=time(0), end=time(0), note="Exams")
    page = authed_client.get("/").content.decode()
    assert 'data-testid="quiet-banner"' in page
    assert 'hx-trigger="load delay:' in page
    assert "quiet:changed from:body, live:reconnected from:body" in page
    part = authed_client.get("/player/quiet/", headers={"HX-Request": "true"}).content.decode()
    assert "Quiet hours until" in part
    assert 'id="player-bar"' in part  # the bar's "paused for…" line follows the same clock
    assert 'hx-swap-oob="morph"' in part
    QuietWindow.objects.all().delete()
    part = authed_client.get("/player/quiet/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="quiet-slot"' in part
    assert 'data-testid="quiet-banner"' not in part


# --- staff's page -----------------------------------------------------------------------------------------------
def test_staff_list_add_and_remove_windows(staff_client):
    window(2, "09:00", "10:00", note="Stand-up")
    page = staff_client.get("/player/quiet-hours/").content.decode()
    assert "Stand-up" in page
    assert "Wednesday" in page
    response = staff_client.post(
        "/player/quiet-hours/",
        {"day": 4, "start": "22:00", "end": "00:00", "note": "Night"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    added = QuietWindow.objects.get(day=4)
    assert (added.start, added.end, added.note) == (time(22), time(0), "Night")
    assert "24:00" in response.content.decode()  # midnight at the end of the day, said as such
    assert "Quiet hours added: Friday 22:00-00:00." in response["HX-Trigger"]
    response = staff_client.post(f"/player/quiet-hours/{added.pk}/delete/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert not QuietWindow.objects.filter(pk=added.pk).exists()
    assert "Quiet hours removed" in response["HX-Trigger"]
    # Without JavaScript: a redirect back to the page.
    response = staff_client.post("/player/quiet-hours/", {"day": 5, "start": "08:00", "end": "09:00"})
    assert response.status_code == 302
    assert response["Location"] == "/player/quiet-hours/"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"day": 0, "start": "10:00", "end": "09:00"}, "The window ends before it starts."),
        ({"day": 0, "start": "10:00", "end": "10:00"}, "The window ends before it starts."),
        ({"day": 0, "start": "08:30", "end": "09:30"}, "It overlaps Monday 09:00-10:00"),
        ({"day": 0, "start": "25:00", "end": "26:00"}, "Enter a valid time."),
        ({"day": 0, "start": "09:00:30", "end": "09:30"}, "Give whole minutes (HH:MM)."),
        ({"day": 9, "start": "01:00", "end": "02:00"}, "Select a valid choice."),
        ({"day": "", "start": "01:00", "end": "02:00"}, "This field is required."),
        ({"day": 0, "start": "01:00", "end": "02:00", "note": "x" * 101}, "at most 100 characters"),
        ({"day": 0, "start": "01:00", "end": "02:00", "room": 999999}, "Select a valid choice."),
    ],
)
def test_a_bad_window_is_a_400_with_the_reason_and_nothing_is_saved(staff_client, data, reason):
    window(0, "09:00", "10:00")
    response = staff_client.post("/player/quiet-hours/", data, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert QuietWindow.objects.count() == 1


def test_a_rooms_window_may_not_overlap_a_site_wide_one_but_another_rooms_may(staff_client):
    window(0, "09:00", "10:00")  # every room
    hall, yard = Room.objects.create(slug="hall", name="Hall"), Room.objects.create(slug="yard", name="Yard")
    refused = staff_client.post("/player/quiet-hours/", {"day": 0, "start": "09:30", "end": "11:00", "room": hall.pk})
    assert refused.status_code == 400
    assert "It overlaps Monday 09:00-10:00" in refused.content.decode()
    for room in (hall, yard):
        added = staff_client.post("/player/quiet-hours/", {"day": 0, "start": "10:00", "end": "11:00", "room": room.pk})
        assert added.status_code == 302
    page = staff_client.get("/player/quiet-hours/").content.decode()
    assert "Every room" in page
    assert "Hall" in page
    assert "Yard" in page


def test_the_page_is_for_staff_only(authed_client, staff_client):
    target = window(0, "09:00", "10:00")
    assert authed_client.get("/player/quiet-hours/").status_code == 403
    assert authed_client.post("/player/quiet-hours/", {"day": 1, "start": "01:00", "end": "02:00"}).status_code == 403
    assert authed_client.post(f"/player/quiet-hours/{target.pk}/delete/").status_code == 403
    assert QuietWindow.objects.count() == 1
    assert staff_client.post("/player/quiet-hours/999999/delete/").status_code == 404
    assert staff_client.get(f"/player/quiet-hours/{target.pk}/delete/").status_code == 405
    assert 'href="/player/quiet-hours/"' in staff_client.get("/").content.decode()  # staff find it in the menu
    assert 'href="/player/quiet-hours/"' not in authed_client.get("/").content.decode()


# --- the live word --------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_every_open_page_hears_that_a_window_changed_once_it_is_saved():
    user = await sync_to_async(UserFactory.create)()
    ws, _ = await connect(user)
    added = await sync_to_async(window)(timezone.localtime().weekday(), "00:00", "00:00")
    await receive_until(ws, 'data-trigger="quiet:changed"', timeout=5)
    await added.adelete()
    await receive_until(ws, 'data-trigger="quiet:changed"', timeout=5)
    await ws.disconnect()
