"""A library worth backing up: users, sounds with their files, and a ledger that moved both ways."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.tests.factories import UserFactory
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from sounds import audio
from sounds.models import Sound
from sounds.tests import media
from sounds.tests.factories import SoundFactory

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "users": get_user_model()._meta.db_table,
    "sounds": Sound._meta.db_table,
    "ledger": CreditTransaction._meta.db_table,
}


@pytest.fixture
def folders(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SOUNDS_ROOT = tmp_path / "media" / "sounds"
    settings.BACKUPS_DIR = tmp_path / "backups"
    (settings.SOUNDS_ROOT / "originals" / "soundboard").mkdir(parents=True)
    return tmp_path


def populate(sounds_root: Path) -> None:
    """Two users, two sounds whose files exist, and a ledger with a grant, a debit and its refund."""
    alice = UserFactory.create(email="alice@example.test", credits=0)
    UserFactory.create(email="bob@example.test", is_staff=True)
    credits.adjust(user=alice, amount=20, reason="welcome, Ålice")
    tx = credits.debit(user_id=alice.pk, amount=5, action=CreditAction.AUDIO_EXTRACTION)
    credits.refund(tx, reason="the link was dead")
    for name, freq in (("horn", 440), ("bell", 660)):
        original = media.tone(sounds_root / "originals" / "soundboard" / f"{name}.wav", 0.3, freq=freq)
        SoundFactory.create(
            name=name, filename=original.name, size=original.stat().st_size, hash=audio.file_hash(original),
            uploaded_by=alice,
        )  # fmt: skip


def _select(table: str) -> str:
    return f"SELECT * FROM {table} ORDER BY id"  # noqa: S608 (the models' own table names)


def sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as db:
        return {key: db.execute(_select(table)).fetchall() for key, table in TABLES.items()}


def pg_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as db:
        return {key: db.execute(_select(table)).fetchall() for key, table in TABLES.items()}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def pg_admin_url() -> str | None:
    """A URL that may create databases on the PostgreSQL at 127.0.0.1:5432, or None when none answers."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("postgresql"):
        auth = f"{s['USER']}:{s.get('PASSWORD') or ''}@" if s.get("USER") else ""
        return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/postgres"
    try:
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return "postgres://postgres@127.0.0.1:5432/postgres"
    except psycopg.Error:
        return None


@pytest.fixture
def throwaway_pg() -> Iterator[Any]:
    """Makes empty PostgreSQL databases on demand and drops them afterwards."""
    admin = pg_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL answers on 127.0.0.1:5432 (.ci/run starts one)")
    made: list[str] = []

    def make(tag: str) -> str:
        name = f"soundboard_backup_{tag}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name}")
            db.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return admin.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with psycopg.connect(admin, autocommit=True) as db:
        for name in made:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
