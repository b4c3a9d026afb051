"""Shared by the health tests: run `manage.py health` as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


def manage_health(**env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py health` against the tests' database and Redis; its exit code is what cron or systemd sees."""
    return subprocess.run(
        [sys.executable, "manage.py", "health"],
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
