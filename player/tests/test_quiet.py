"""Quiet hours: weekly windows when instant plays and music are refused (423, nothing charged), staff excepted."""

from __future__ import annotations

import time as time_module
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from credits.models import CreditTransaction
from player import quiet
from player.models import QuietWindow
from sounds.models import Sound, SoundPlayed
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23)  # a Monday


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(MONDAY + timedelta(days=day_offset, hours=hour, minutes=minute))


def window(day: int, start: str, end: str, note: str = "") -> QuietWindow:
    w = QuietWindow(day=day, start=time.fromisoformat(start), end=time.fromisoformat(end), note=note)
    w.full_clean()
    w.save()
    return w


def whole_day_today() -> QuietWindow:
    return window(timezone.localtime().weekday(), "00:00", "00:00", note="Exams")


def test_a_window_is_quiet_inside_and_not_outside():
    window(0, "12:00", "13:30")
    assert quiet.current(at(0, 11, 59)) is None
    period = quiet.current(at(0, 12, 0))
    assert period is not None
    assert period.until == at(0, 13, 30)
    assert quiet.current(at(0, 13, 30)) is None
    assert quiet.current(at(7, 12, 30)) is not None  # weekly: next Monday too
    assert quiet.current(at(1, 12, 30)) is None


def test_a_night_is_two_adjoining_windows_read_as_one():
    window(0, "22:00", "00:00")
    window(1, "00:00", "07:00")
    period = quiet.current(at(0, 23, 0))
    assert period is not None
    assert period.until == at(1, 7, 0)
    assert quiet.current(at(1, 6, 59)).until == at(1, 7, 0)  # type: ignore[union-attr]


def test_sunday_night_runs_into_monday_morning():
    window(6, "21:00", "00:00")
    window(0, "00:00", "06:00")
    period = quiet.current(at(6, 22, 0))
    assert period is not None
    assert period.until == at(7, 6, 0)


def test_a_window_that_ends_before_it_starts_is_refused_with_how_to_cover_a_night():
    with pytest.raises(ValidationError) as refused:
        window(0, "22:00", "07:00")
    text = str(refused.value)
    assert "ends before it starts" in text
    assert "Monday 22:00-00:00" in text
    with pytest.raises(ValidationError):
        window(0, "10:00", "10:00")
    assert not QuietWindow.objects.exists()


def test_overlapping_windows_are_refused_naming_the_other_one():
    window(2, "09:00", "12:00")
    with pytest.raises(ValidationError, match="overlaps Wednesday 09:00-12:00"):
        window(2, "11:59", "13:00")
    window(2, "12:00", "13:00")  # touching is fine
    window(3, "09:00", "12:00")  # another day is fine
    assert QuietWindow.objects.count() == 3


def test_the_admin_refuses_an_overlap_and_keeps_the_form(client: Client):
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(staff)
    window(4, "09:00", "12:00")
    response = client.post("/admin/player/quietwindow/add/", {"day": "4", "start": "10:00", "end": "11:00", "note": ""})
    assert response.status_code == 200
    assert "overlaps Friday 09:00-12:00" in response.content.decode()
    assert QuietWindow.objects.count() == 1


def test_quiet_hours_api_says_whether_and_until_when(client: Client):
    user = UserFactory.create()
    client.force_login(user)
    answer = client.get("/api/v1/quiet-hours").json()
    assert answer["active"] is False
    assert answer["windows"] == []
    w = whole_day_today()
    answer = client.get("/api/v1/quiet-hours").json()
    assert answer["active"] is True
    assert answer["staff_override"] is False
    tomorrow = timezone.localtime().date() + timedelta(days=1)
    assert answer["message"] == f"Quiet hours until {tomorrow:%A} 00:00."
    assert answer["windows"] == [
        {
            "id": w.pk,
            "day": w.day,
            "day_name": w.get_day_display(),
            "start": "00:00",
            "end": "00:00",
            "note": "Exams",
            "room": None,
        }
    ]


def test_a_play_in_quiet_hours_is_a_423_that_says_until_when_and_charges_nothing(client: Client, sdb):
    media.tone(sdb / "horn.wav", 0.5, freq=500)
    scan()
    sound = Sound.objects.get()
    user = UserFactory.create()
    client.force_login(user)
    whole_day_today()
    before = user.credits
    response = client.post(f"/api/v1/sounds/play/{sound.pk}")
    assert response.status_code == 423
    assert response.json()["detail"].startswith("Quiet hours: sounds and music are off until ")
    assert int(response["Retry-After"]) > 0
    user.refresh_from_db()
    assert user.credits == before
    assert not CreditTransaction.objects.filter(user=user, amount__lt=0).exists()
    assert not SoundPlayed.objects.exists()
    # The board's button gets the same refusal as a toast.
    response = client.post(f"/player/play/{sound.pk}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 423
    assert "Quiet hours" in response["HX-Trigger"]


@pytest.mark.parametrize(
    ("path", "payload"), [("play", {}), ("next", {}), ("previous", {}), ("play/0", {}), ("playlist", None)]
)
def test_music_that_would_sound_is_refused_in_quiet_hours(client: Client, path: str, payload: dict | None):
    user = UserFactory.create()
    client.force_login(user)
    whole_day_today()
    if payload is None:
        from playlists.services import main_playlist  # noqa: PLC0415  (only this case needs a playlist)

        payload = {"playlist_id": main_playlist().pk, "play": True}
    response = client.post(f"/api/v1/player/{path}", payload, content_type="application/json")
    assert response.status_code == 423, response.content
    assert "Quiet hours" in response.json()["detail"]
    assert not CreditTransaction.objects.filter(user=user, amount__lt=0).exists()


def test_the_board_and_the_player_page_show_the_banner(client: Client):
    user = UserFactory.create()
    client.force_login(user)
    assert 'data-testid="quiet-banner"' not in client.get("/").content.decode()
    whole_day_today()
    for page in ("/", "/player/"):
        html = client.get(page).content.decode()
        assert 'data-testid="quiet-banner"' in html
        assert "Sounds and music are off until then" in html
        assert "Exams" in html


def test_staff_see_that_their_plays_go_through(client: Client):
    client.force_login(UserFactory.create(is_staff=True))
    whole_day_today()
    assert "yours still play, since you are staff" in client.get("/").content.decode()
    assert client.get("/api/v1/quiet-hours").json()["staff_override"] is True


@pytest.mark.django_db(transaction=True)
def test_a_staff_play_goes_through_quiet_hours_and_is_heard(player_process, sdb):
    media.tone(sdb / "bell.wav", 0.5, freq=700, gain_db=-3)
    scan()
    sound = Sound.objects.get(filename="bell.wav")
    staff = UserFactory.create(is_staff=True)
    client = Client()
    client.force_login(staff)
    whole_day_today()
    before = {p.name for p in player_process.wavs()}
    response = client.post(f"/api/v1/sounds/play/{sound.pk}")
    assert response.status_code == 200, response.content
    # The answer comes as the clip starts; the play is recorded right after it.
    deadline = time_module.monotonic() + 10
    while not SoundPlayed.objects.filter(sound=sound, user=staff).exists():
        assert time_module.monotonic() < deadline, "the staff play was never recorded"
        time_module.sleep(0.05)
    new = {p.name for p in player_process.wavs()} - before
    assert any(name.endswith("Bell.wav") for name in new), new
