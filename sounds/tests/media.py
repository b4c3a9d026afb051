"""Test audio made on the spot with ffmpeg and espeak-ng: tones, noise, silence, speech."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

CODECS = {
    ".wav": ["-c:a", "pcm_s16le"],
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
    ".flac": ["-c:a", "flac"],
    ".ogg": ["-c:a", "libvorbis"],
    ".opus": ["-c:a", "libopus"],
    ".m4a": ["-c:a", "aac"],
    ".webm": ["-c:a", "libopus", "-f", "webm"],
    ".aiff": ["-c:a", "pcm_s16be"],
}


def _ffmpeg(source: str, path: Path, *extra: str, rate: int = 44100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".opus", ".webm"):
        rate = 48000  # Opus knows no 44.1 kHz
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *extra, "-ar", str(rate),
         *CODECS[path.suffix.lower()], str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


def tone(path: Path, seconds: float = 1.0, freq: int = 440, gain_db: float = -6.0, rate: int = 44100) -> Path:
    return _ffmpeg(
        f"sine=frequency={freq}:duration={seconds}:sample_rate={rate}", path, "-af", f"volume={gain_db}dB", rate=rate
    )


def noise(path: Path, seconds: float = 2.0, color: str = "pink", amplitude: float = 0.5) -> Path:
    return _ffmpeg(f"anoisesrc=d={seconds}:c={color}:a={amplitude}", path)


def silence(path: Path, seconds: float = 1.0) -> Path:
    return _ffmpeg(f"anullsrc=r=44100:cl=mono:d={seconds}", path, "-t", str(seconds))


def speech(path: Path, text: str = "Hello from the soundboard tests") -> Path:
    wav = path.with_suffix(".speech.wav")
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, timeout=60)
    if path.suffix.lower() == ".wav":
        wav.replace(path)
        return path
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *CODECS[path.suffix.lower()], str(path)], check=True)
    wav.unlink()
    return path


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP), measured independently with ffmpeg's ebur128."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-filter_complex", "[0:a:0]ebur128=peak=true",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    integrated = re.findall(r"\n\s+I:\s+(-?[\d.]+) LUFS", result.stderr)[-1]
    peak = re.findall(r"\n\s+Peak:\s+(-?[\d.]+|-inf) dBFS", result.stderr)[-1]
    return float(integrated), float(peak)


def mean_volume(path: Path) -> float:
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return float(re.findall(r"mean_volume:\s*(-?[\d.]+|-inf) dB", result.stderr)[-1])
