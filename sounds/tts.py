"""Text to speech: espeak-ng's voices and Piper's neural ones (sounds.piper), and speaking a line into a WAV."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.errors import UserError
from sounds import limits, piper

logger = logging.getLogger(__name__)

MAX_CHARS = 500
SPEEDS = (80, 450)  # words per minute espeak-ng accepts sensibly
DEFAULT_VOICE = "en-us"
DEFAULT_SPEED = 160
SPEAK_TIMEOUT_S = 120
SPEAK_MAX_BYTES = 64 * 1024 * 1024


ESPEAK = "espeak-ng"


@dataclass(frozen=True)
class Voice:
    code: str  # the id forms and the API send: "en-us", "piper:en_US-joe-medium"
    name: str
    engine: str = ESPEAK
    language: str = ""

    @property
    def label(self) -> str:
        if self.engine == piper.ENGINE:
            return f"{self.name}, natural voice"
        return f"{self.name} ({self.code})"


class TtsError(UserError):
    pass


def voices() -> tuple[Voice, ...]:
    """Piper's neural voices first (they sound far better), then espeak-ng's."""
    neural = tuple(Voice(code=v.code, name=v.name, engine=piper.ENGINE, language=v.language) for v in piper.voices())
    return neural + espeak_voices()


@cache
def espeak_voices() -> tuple[Voice, ...]:
    """The languages espeak-ng has installed (mbrola voices need extra data files, so they are left out)."""
    try:
        out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    found = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and not parts[4].startswith("mb/"):
            found.append(Voice(code=parts[1], name=parts[3].replace("_", " "), language=parts[1]))
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
    # Only ids from the list get through: a "voice" that is a path or an option never reaches a command line.
    if code not in {v.code for v in voices()}:
        raise TtsError(f"Unknown voice {code[:60]!r}.")
    return code


def check_speed(speed: int) -> int:
    if not SPEEDS[0] <= speed <= SPEEDS[1]:
        raise TtsError(f"The speed must be between {SPEEDS[0]} and {SPEEDS[1]} words per minute.")
    return speed


def key_for(text: str, voice: str, speed: int) -> str:
    """Identifies a line said by a voice at a speed: the same request twice is the same sound."""
    return hashlib.sha256(f"{voice}\n{speed}\n{text}".encode()).hexdigest()[:16]


def speak(text: str, *, voice: str, speed: int, out: Path) -> None:
    """Say `text` into the WAV file `out`, with whichever engine has the voice. Raises TtsError."""
    out.parent.mkdir(parents=True, exist_ok=True)
    neural = piper.find(voice)
    if neural is not None:
        # Piper has no words-per-minute: its length scale stretches phonemes (1 is the voice's own pace).
        cmd = piper.command(neural, out=out, length_scale=DEFAULT_SPEED / speed)
        engine = piper.ENGINE
    else:
        cmd = ["espeak-ng", "-v", check_voice(voice), "-s", str(speed), "-w", str(out), "--stdin"]
        engine = ESPEAK
    # The text goes through stdin, never the command line: nothing in it can become an option. 500 characters
    # at the slowest speed are a couple of minutes of speech: the limits leave room for that and no more.
    try:
        result = limits.run(cmd, input=text, timeout=SPEAK_TIMEOUT_S, fsize_bytes=SPEAK_MAX_BYTES)
    except limits.ChildLimitExceeded as exc:
        out.unlink(missing_ok=True)
        raise TtsError(f"The speech could not be made: {exc}.", 500) from exc
    if result.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        out.unlink(missing_ok=True)
        logger.warning("%s failed (%s): %s", engine, result.returncode, result.stderr.strip()[-300:])
        raise TtsError("The speech could not be made from that text.", 500)
