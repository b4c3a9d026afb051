"""Test audio made on the spot with ffmpeg and espeak-ng: tones, noise, silence, speech."""

from __future__ import annotations

import re
import struct
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


# --- Hostile files ---------------------------------------------------------------------------------------------
HTML_PAYLOAD = b"<html><body><script>document.title='pwned'</script><svg onload=alert(1)></svg></body></html>"


def au_polyglot(path: Path, payload: bytes = HTML_PAYLOAD, seconds: float = 0.5) -> Path:
    """A real Sun AU file whose annotation (the bytes between header and audio) is an HTML document."""
    raw = path.with_suffix(".raw")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=d={seconds}:sample_rate=8000",
         "-f", "s16be", "-ac", "1", str(raw)],
        check=True, timeout=60,
    )  # fmt: skip
    pcm = raw.read_bytes()
    raw.unlink()
    annotation = payload + b"\0" * (8 - len(payload) % 8)
    # magic, data offset, data size, encoding 3 (16-bit linear PCM), sample rate, channels
    header = b".snd" + struct.pack(">IIIII", 24 + len(annotation), len(pcm), 3, 8000, 1)
    path.write_bytes(header + annotation + pcm)
    return path


def wav_polyglot(path: Path, payload: bytes = HTML_PAYLOAD, seconds: float = 0.5) -> Path:
    """A WAV file (tone) carrying an HTML document in a LIST/INFO comment chunk, so the bytes hold both."""
    tone(path, seconds)
    return _with_comment(path, payload)


def mp3_polyglot(path: Path, payload: bytes = HTML_PAYLOAD, seconds: float = 0.5) -> Path:
    tone(path, seconds)
    return _with_comment(path, payload)


def _with_comment(path: Path, payload: bytes) -> Path:
    tagged = path.with_name(f"tagged{path.suffix}")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(path), "-c", "copy", "-metadata", f"comment={payload.decode()}",
         str(tagged)],
        check=True, timeout=60,
    )  # fmt: skip
    tagged.replace(path)
    assert payload in path.read_bytes()
    return path


def lying_flac(path: Path, real_seconds: int = 7200, claimed_seconds: int = 1, rate: int = 8000) -> Path:
    """A FLAC of `real_seconds` of audio whose STREAMINFO claims `claimed_seconds`: headers (mutagen, ffprobe)
    report the claim, decoding finds the truth. Silence compresses to little (2 h: about 1.3 MB)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"anullsrc=r={rate}:cl=mono:d={real_seconds}",
         "-c:a", "flac", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC"
    assert data[4] & 0x7F == 0, "STREAMINFO must be the first block"
    # STREAMINFO starts at byte 8; bytes 10..17 of it pack sample rate (20 bits), channels (3), bits (5) and the
    # total number of samples (36 bits).
    packed = int.from_bytes(data[18:26], "big")
    packed = (packed & ~((1 << 36) - 1)) | (claimed_seconds * rate)
    data[18:26] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return path
