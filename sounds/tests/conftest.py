from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sounds_root(settings, tmp_path) -> Path:
    root = tmp_path / "sounds"
    settings.SOUNDS_ROOT = root
    for folder in ("soundboard", "text_to_speech", "extracted"):
        (root / "originals" / folder).mkdir(parents=True)
    return root


@pytest.fixture
def sdb(sounds_root) -> Path:
    return sounds_root / "originals" / "soundboard"
