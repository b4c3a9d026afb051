"""Text to speech with espeak-ng: the voices it has, and speaking a line into a WAV file."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.errors import UserError
from sounds import limits

logger = logging.getLogger(__name__)

MAX_CHARS = 500
SPEEDS = (80, 450)  # words per minute espeak-ng accepts sensibly
DEFAULT_VOICE = "en-us"
DEFAULT_SPEED = 160
SPEAK_TIMEOUT_S = 120
SPEAK_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Voice:
    code: str
    name: str


class TtsError(UserError):
    pass


@cache
def voices() -> tuple[Voice, ...]:
    """The languages espeak-ng has installed (mbrola voices need extra data files, so they are left out)."""
    try:
        out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    found = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and not parts[4].startswith("mb/"):
            found.append(Voice(code=parts[1], name=parts[3].replace("_", " ")))
    return tuple(sorted(found, key=lambda v: v.name))


def clean_text(text: str) -> str:
    """One line of speakable text: control characters out, whitespace folded; empty or too long is refused."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    text = " ".join(text.split())
    if not text:
        raise TtsError("Type something to say.")
    if len(text) > MAX_CHARS:
        raise TtsError(f"At most {MAX_CHARS} characters, please.")
    return text


def check_voice(code: str) -> str:
    if code not in {v.code for v in voices()}:
        raise TtsError(f"Unknown voice {code!r}.")
    return code


def check_speed(speed: int) -> int:
    if not SPEEDS[0] <= speed <= SPEEDS[1]:
        raise TtsError(f"The speed must be between {SPEEDS[0]} and {SPEEDS[1]} words per minute.")
    return speed


def key_for(text: str, voice: str, speed: int) -> str:
    """Identifies a line said by a voice at a speed: the same request twice is the same sound."""
    return hashlib.sha256(f"{voice}\n{speed}\n{text}".encode()).hexdigest()[:16]


def speak(text: str, *, voice: str, speed: int, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    # The text goes through stdin, never the command line: nothing in it can become an option. 500 characters
    # at the slowest speed are a couple of minutes of speech: the limits leave room for that and no more.
    try:
        result = limits.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), "--stdin"],
            input=text, timeout=SPEAK_TIMEOUT_S, fsize_bytes=SPEAK_MAX_BYTES,
        )  # fmt: skip
    except limits.ChildLimitExceeded as exc:
        out.unlink(missing_ok=True)
        raise TtsError(f"The speech could not be made: {exc}.", 500) from exc
    if result.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        out.unlink(missing_ok=True)
        logger.warning("espeak-ng failed (%s): %s", result.returncode, result.stderr.strip()[-300:])
        raise TtsError("The speech could not be made from that text.", 500)
