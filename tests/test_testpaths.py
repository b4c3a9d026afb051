"""`make test` collects only `testpaths`: an app whose tests are missing from it is silently never run."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_folder_with_tests_is_collected() -> None:
    testpaths = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"])
    with_tests = {
        path.relative_to(ROOT).parts[0]
        for path in ROOT.glob("*/**/test_*.py")
        if not path.relative_to(ROOT).parts[0].startswith(".")
    }
    assert with_tests - testpaths == set()
