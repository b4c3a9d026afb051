"""Stored file names can't lead out of their folders: not through the admin, not through a tampered row,
not through a link dropped into a scanned folder."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from sounds import services
from sounds.models import Sound
from sounds.scanner import scan
from sounds.tests import media

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(sounds_root):
    """A file next to the sounds, like the project's .env."""
    path = sounds_root.parent / ".env"
    path.write_text("SECRET_KEY=do-not-leak\n")
    return path


@pytest.fixture
def horn(sdb):
    media.tone(sdb / "horn.wav", 0.5)
    scan()
    return Sound.objects.get()


@pytest.fixture
def admin_client(django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="pw-long-enough")
    client = Client()
    client.force_login(admin)
    return client


def test_the_admin_cannot_point_a_sound_at_another_file(admin_client, horn, secret):
    url = f"/admin/sounds/sound/{horn.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="filename"' not in page
    assert 'name="thumbnail"' not in page
    response = admin_client.post(
        url,
        {"type": "SDB", "name": "Horn", "play_count": 0, "volume": 100, "cooldown_s": 0}
        | {"filename": "../../../.env", "thumbnail": "../../../.env"},
    )
    assert response.status_code == 302
    horn.refresh_from_db()
    assert horn.filename == "horn.wav"
    assert horn.thumbnail == ""


@pytest.mark.parametrize("name", ["../../.env", "/etc/passwd", "a/../../x", "horn.wav\n", "a\\..\\b", "a//b"])
def test_the_model_refuses_a_file_name_that_leaves_its_folder(horn, name):
    horn.filename = name
    with pytest.raises(ValidationError):
        horn.full_clean()
    with pytest.raises(ValidationError):
        horn.save()


def test_a_row_forced_to_a_path_outside_is_never_served_played_or_deleted(authed_client, horn, secret, sounds_root):
    # ../../../.env from originals/soundboard is SOUNDS_ROOT/../.env, the secret.
    Sound.objects.filter(pk=horn.pk).update(filename="../../../.env", thumbnail="../../../../.env")
    horn.refresh_from_db()
    assert (horn.original_path).resolve() == secret.resolve()
    assert horn.playable_path() is None
    for endpoint in ("download", "preview", "thumbnail"):
        response = authed_client.get(f"/api/v1/files/sounds/{horn.pk}/{endpoint}")
        assert response.status_code == 404
        assert b"do-not-leak" not in response.content
    services.delete_sounds(Sound.objects.filter(pk=horn.pk))
    assert secret.is_file()


def test_a_link_out_of_the_folder_is_neither_scanned_nor_served(authed_client, sdb, secret, tmp_path):
    outside = media.tone(tmp_path / "outside.wav", 0.5)
    (sdb / "sneaky.wav").symlink_to(outside)
    (sdb / "env.wav").symlink_to(secret)
    media.tone(sdb / "fine.wav", 0.5)
    result = scan()
    assert [s.filename for s in Sound.objects.all()] == ["fine.wav"]
    assert result.counts()["added"] == 1
    # A link made after the scan (the row already exists) is refused when served.
    sound = Sound.objects.get()
    (sdb / "fine.wav").unlink()
    (sdb / "fine.wav").symlink_to(secret)
    assert authed_client.get(f"/api/v1/files/sounds/{sound.pk}/download").status_code == 404
