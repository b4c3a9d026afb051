"""What a backup holds, how many are kept, and every way a restore refuses a backup it cannot trust."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from backups import services
from backups.tasks import nightly_backup_task
from backups.tests.conftest import populate

pytestmark = pytest.mark.django_db(transaction=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_holds_a_database_copy_a_media_manifest_and_a_description(folders):
    populate(folders / "media" / "sounds")
    made = services.create()
    assert made.path.parent == folders / "backups"
    assert services.NAME.match(made.path.name)
    description = json.loads((made.path / "backup.json").read_text())
    copy = made.path / description["database"]
    assert description["engine"] == ("sqlite" if connection.vendor == "sqlite" else "postgresql")
    assert description["database_sha256"] == _sha256(copy)
    media = folders / "media"
    files = json.loads((made.path / "media-manifest.json").read_text())["files"]
    assert {(f["root"], f["path"], f["size"], f["sha256"]) for f in files} == {
        ("media", p.relative_to(media).as_posix(), p.stat().st_size, _sha256(p)) for p in media.rglob("*.wav")
    }
    assert made.files == 2
    assert not list((folders / "backups").glob(".*"))  # no half-written folder left


def test_the_nightly_task_backs_up_and_keeps_only_the_newest(folders, settings):
    settings.BACKUPS_KEEP = 2
    assert settings.CELERY_BEAT_SCHEDULE["backups-nightly"]["task"] == "backups.nightly"
    start = datetime(2026, 1, 1, 3, 30, tzinfo=UTC)
    older = [services.create(now=start + timedelta(days=n)).path.name for n in range(2)]
    abandoned = folders / "backups" / ".2026-01-01T00-00-00Z.partial"
    abandoned.mkdir()
    os.utime(abandoned, (0, 0))  # a run that died long ago
    newest = nightly_backup_task()
    assert [p.name for p in services.complete_backups()] == [older[1], newest]
    assert not abandoned.exists()


def test_two_backups_in_the_same_second_get_their_own_folders(folders):
    now = datetime(2026, 1, 1, 3, 30, tzinfo=UTC)
    first, second = services.create(now=now).path, services.create(now=now).path
    assert first != second
    assert [p.name for p in services.complete_backups()] == [first.name, second.name]


# --- Bad input --------------------------------------------------------------------------------------------------
@pytest.fixture
def made(folders) -> Path:
    populate(folders / "media" / "sounds")
    path = services.create().path
    User.objects.all().delete()  # restore targets must be empty; what is refused must leave this as it is
    return path


def _refused(backup: str, *args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", backup, *args)
    assert not User.objects.exists(), "a refused restore changed the database"
    return str(refused.value)


def test_a_missing_backup_folder_is_refused_clearly(made):
    assert "There is no backup folder at" in _refused("2020-01-01T00-00-00Z")
    assert "There is no backup folder at" in _refused(str(made.parent / "nowhere"))


def test_a_folder_that_is_not_a_complete_backup_is_refused(made):
    (made / "backup.json").unlink()
    assert "not a complete backup: backup.json is missing" in _refused(str(made))


def test_a_backup_whose_description_is_garbage_is_refused(made):
    (made / "backup.json").write_text("{not json")
    assert "is not readable JSON" in _refused(str(made))


def test_a_damaged_database_copy_is_refused_before_anything_is_touched(made):
    description = json.loads((made / "backup.json").read_text())
    copy = made / description["database"]
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    assert "is damaged (its checksum does not match)" in _refused(made.name)


def test_a_database_copy_that_is_not_a_database_is_refused_even_with_a_matching_checksum(made):
    description = json.loads((made / "backup.json").read_text())
    copy = made / description["database"]
    copy.write_bytes(b"hello, I am not a database" * 100)
    description["database_sha256"] = _sha256(copy)
    (made / "backup.json").write_text(json.dumps(description))
    assert "cannot be used" in _refused(made.name)


@pytest.mark.parametrize(
    "path",
    ["../../../etc/passwd", "/etc/passwd", "sounds/../../outside.wav", "sounds\\..\\..\\x", "", "a/./b"],
)
def test_a_manifest_that_points_outside_the_media_folder_is_refused(made, path):
    manifest = json.loads((made / "media-manifest.json").read_text())
    manifest["files"][0]["path"] = path
    (made / "media-manifest.json").write_text(json.dumps(manifest))
    message = _refused(made.name)
    assert "cannot be used" in message
    assert "the manifest names a file" in message


def test_a_manifest_path_through_a_link_that_leaves_the_media_folder_is_refused(made, folders):
    (folders / "media" / "elsewhere").symlink_to(folders / "backups")
    manifest = json.loads((made / "media-manifest.json").read_text())
    manifest["files"][0]["path"] = "elsewhere/secret"
    (made / "media-manifest.json").write_text(json.dumps(manifest))
    assert "outside the media folder" in _refused(made.name)


def test_a_missing_manifest_is_refused(made):
    (made / "media-manifest.json").unlink()
    assert "the media manifest is missing" in _refused(made.name)


def test_a_backup_of_another_database_kind_is_refused(made):
    description = json.loads((made / "backup.json").read_text())
    description["engine"] = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    (made / "backup.json").write_text(json.dumps(description))
    assert "Restore it with the same DATABASE_URL kind" in _refused(made.name)


def test_a_database_that_holds_users_is_not_overwritten_without_force(folders):
    populate(folders / "media" / "sounds")
    made = services.create().path
    with pytest.raises(CommandError, match=r"The database is not empty .* pass --force"):
        call_command("restore", made.name)
    assert User.objects.count() == 2
