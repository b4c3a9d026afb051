"""A sound whose normalization failed is never played raw and is shown only to its uploader and staff."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from credits.models import CreditTransaction
from sounds import services
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploader():
    return UserFactory.create()


@pytest.fixture
def failed(sdb, uploader):
    """A real upload whose normalization really fails: it is silence."""
    media.silence(sdb / "quiet.wav", 4)
    scan()
    sound = Sound.objects.get()
    Sound.objects.filter(pk=sound.pk).update(uploaded_by=uploader)
    assert services.normalize_sound(sound=sound).status == "silent"
    sound.refresh_from_db()
    return sound


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_failed_sound_has_no_playable_file(failed):
    assert failed.original_path.is_file()
    assert failed.playable_path() is None  # the only path the player is ever given


def test_playing_a_failed_sound_is_refused_and_costs_nothing(failed, uploader):
    before = CreditTransaction.objects.count()
    response = client_for(uploader).post(f"/api/v1/sounds/play/{failed.pk}")
    assert response.status_code == 404
    assert CreditTransaction.objects.count() == before


def test_other_users_do_not_see_a_failed_sound(failed, user, authed_client):
    page = authed_client.get("/").content.decode()
    assert f'id="sound-{failed.pk}"' not in page
    assert authed_client.get("/api/v1/sounds/").json()["total"] == 0
    assert authed_client.get(f"/api/v1/files/sounds/{failed.pk}/download").status_code == 404


@pytest.mark.parametrize("who", ["uploader", "staff"])
def test_the_uploader_and_staff_see_it_with_a_readable_reason(failed, uploader, staff, who):
    client = client_for(uploader if who == "uploader" else staff)
    page = client.get("/").content.decode()
    assert f'id="sound-{failed.pk}"' in page
    assert "not playable: the audio is silent; nothing to normalize" in page
    assert client.get("/api/v1/sounds/").json()["total"] == 1


def test_a_failure_reason_names_no_server_path_and_no_ffmpeg_wording(sdb, uploader):
    (sdb / "broken.mp3").write_bytes(b"ID3" + b"\x00" * 7 + b"\xff\xfb\x90\x00" + b"garbage" * 500)
    media.tone(sdb / "ok.wav", 0.5)
    scan()
    for sound in Sound.objects.all():
        services.normalize_sound(sound=sound)
        sound.refresh_from_db()
        reason = sound.normalization_error
        assert str(sdb.parent.parent) not in reason
        assert "ffmpeg" not in reason.lower()
        assert "ffprobe" not in reason.lower()
