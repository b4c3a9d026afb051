"""A consistent copy of the database, and putting one back: SQLite's online backup, or pg_dump / pg_restore.

Both copies are consistent while the site runs: SQLite's backup API copies the pages under one read
transaction, and pg_dump reads one snapshot. A restore is all or nothing: SQLite's backup API replaces the
target's pages in one write transaction, and pg_restore runs with `--single-transaction`.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connections

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
FILENAMES = {SQLITE: "database.sqlite3", POSTGRESQL: "database.dump"}
# A dump of a big database takes a while, but a stuck pg_dump must end before the nightly task's time limit.
PG_TIMEOUT_S = 2700


class DatabaseCopyFailed(Exception):
    """pg_dump, pg_restore or SQLite refused; the message says why, without the password."""


def _settings(alias: str = "default") -> dict[str, Any]:
    return dict(connections[alias].settings_dict)


def engine(alias: str = "default") -> str:
    name = str(_settings(alias)["ENGINE"])
    if name.endswith("sqlite3"):
        return SQLITE
    if name.endswith("postgresql"):
        return POSTGRESQL
    raise DatabaseCopyFailed(f"Backups support SQLite and PostgreSQL, not {name}.")


def _pg_env(alias: str) -> dict[str, str]:
    """libpq's variables: the password never appears on a command line (other users can read those)."""
    s = _settings(alias)
    env = {**os.environ, "PGDATABASE": str(s["NAME"]), "PGCONNECT_TIMEOUT": "10"}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    return env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_S, check=False)
    except FileNotFoundError as exc:
        raise DatabaseCopyFailed(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client).") from exc
    except subprocess.TimeoutExpired as exc:
        raise DatabaseCopyFailed(f"{cmd[0]} took longer than {PG_TIMEOUT_S} s.") from exc
    if result.returncode != 0:
        raise DatabaseCopyFailed(f"{cmd[0]} failed: {result.stderr.strip()[-1000:]}")


def dump(target: Path, alias: str = "default") -> None:
    """Write a consistent copy of the database to `target`."""
    if engine(alias) == SQLITE:
        source = sqlite3.connect(str(_settings(alias)["NAME"]))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
            # One self-contained file: no write-ahead log beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
            source.close()
        return
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], _pg_env(alias))


def check_copy(path: Path, kind: str) -> None:
    """Refuse a copy that is not what it claims to be, before anything is touched."""
    if kind == SQLITE:
        try:
            copy = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            try:
                verdict = copy.execute("PRAGMA quick_check").fetchone()
            finally:
                copy.close()
        except sqlite3.Error as exc:
            raise DatabaseCopyFailed(f"the database copy is not a readable SQLite file ({exc})") from exc
        if verdict != ("ok",):
            raise DatabaseCopyFailed(f"the database copy is damaged ({verdict})")
    else:
        _run(["pg_restore", "--list", str(path)], dict(os.environ))


def restore(source: Path, alias: str = "default") -> None:
    """Replace the database's content with the copy at `source` (the caller checked it is empty, or forced)."""
    connections[alias].close()
    if engine(alias) == SQLITE:
        copy = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(str(_settings(alias)["NAME"]), timeout=30)
        try:
            copy.backup(target)
        except sqlite3.Error as exc:
            raise DatabaseCopyFailed(f"SQLite could not write the database ({exc})") from exc
        finally:
            target.close()
            copy.close()
        return
    # --clean --if-exists: tables a `migrate` made in the empty database are replaced, not collided with.
    _run(
        ["pg_restore", "--single-transaction", "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--exit-on-error", f"--dbname={_settings(alias)['NAME']}", str(source)],
        _pg_env(alias),
    )  # fmt: skip
