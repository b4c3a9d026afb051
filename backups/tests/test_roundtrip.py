"""Backup, then restore into an empty database: the same users, sounds and ledger, through the real commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from backups import services
from backups.tests.conftest import manage, pg_rows, populate, sqlite_rows
from conftest import database_url_for_subprocess, subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)


def _env(folders: Path, database_url: str) -> dict[str, str]:
    return subprocess_env(
        DATABASE_URL=database_url,
        VAR_DIR=str(folders / "var"),
        MEDIA_ROOT=str(folders / "media"),
        SOUNDS_ROOT=str(folders / "media" / "sounds"),
        BACKUPS_DIR=str(folders / "backups"),
    )


def _restore_into_an_empty_database(
    folders: Path, made: Path, target_url: str, rows: Any, expected: Any, media: str = "2 file(s) as in the backup"
) -> str:
    env = _env(folders, target_url)
    restored = manage("restore", made.name, env=env)
    assert restored.returncode == 0, restored.stderr
    assert "Database restored" in restored.stdout
    assert f"Media: {media}" in restored.stdout
    assert rows() == expected
    assert len(expected["users"]) == 2
    assert len(expected["sounds"]) == 2
    assert len(expected["ledger"]) == 5  # two sign-up grants, the welcome grant, a debit and its refund

    # Now it holds data: a second restore is refused, and changes nothing, unless forced.
    again = manage("restore", made.name, env=env)
    assert again.returncode == 1
    assert "The database is not empty" in again.stderr
    assert "--force" in again.stderr
    forced = manage("restore", made.name, "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert rows() == expected
    return restored.stdout


def test_a_backup_restored_into_an_empty_database_gives_the_same_users_sounds_and_ledger(folders, request):
    """On the database this run uses (SQLite; PostgreSQL in the PostgreSQL pass): the backup runs in-process."""
    populate(folders / "media" / "sounds")
    made = services.create().path
    # A file lost since the backup: the restore names it.
    (folders / "media" / "sounds" / "originals" / "soundboard" / "bell.wav").unlink()
    media = "1 file(s) as in the backup"
    if connection.vendor == "sqlite":
        target = folders / "restored.sqlite3"
        expected = sqlite_rows(Path(connection.settings_dict["NAME"]))
        said = _restore_into_an_empty_database(
            folders, made, f"sqlite:///{target}", lambda: sqlite_rows(target), expected, media
        )
    else:
        expected = pg_rows(database_url_for_subprocess())
        target_url = request.getfixturevalue("throwaway_pg")("target")
        said = _restore_into_an_empty_database(folders, made, target_url, lambda: pg_rows(target_url), expected, media)
    assert "1 file(s) missing; copy them back:\n  sounds/originals/soundboard/bell.wav" in said


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the PostgreSQL pass runs the test above on it")
def test_a_postgresql_backup_restored_into_an_empty_database_gives_the_same_data(folders, throwaway_pg):
    """A PostgreSQL run beside this SQLite one (when 127.0.0.1:5432 answers): pg_dump and pg_restore."""
    source_url = throwaway_pg("source")
    env = _env(folders, source_url)
    assert manage("migrate", "--noinput", "-v", "0", env=env).returncode == 0
    script = "from backups.tests.conftest import populate; from pathlib import Path; import os; "
    script += "populate(Path(os.environ['SOUNDS_ROOT']))"
    filled = manage("shell", "-c", script, env=env)
    assert filled.returncode == 0, filled.stderr
    backed_up = manage("backup", env=env)
    assert backed_up.returncode == 0, backed_up.stderr
    [made] = services.complete_backups()
    assert (made / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    expected = pg_rows(source_url)
    target_url = throwaway_pg("target")
    _restore_into_an_empty_database(folders, made, target_url, lambda: pg_rows(target_url), expected)
