"""EBU R128 loudness normalization with ffmpeg's loudnorm, two-pass, with the cases that trip others.

- Two-pass: measure, then apply with the measured values so loudnorm can use its linear mode.
- Analysis with inf/-inf/nan (but not silence): one-pass dynamic instead.
- Clips shorter than 3 s: loudnorm needs 3 s of audio for its sliding window, so the clip is padded with
  silence for both passes and trimmed back to its own length afterwards.
- Clips shorter than 0.4 s: integrated loudness is undefined (one 400 ms gating block), so a plain gain is
  applied from the RMS level, capped so the true peak stays under the target.
- Silence: reported, never "normalized".
- The output sample rate is set explicitly: loudnorm works at 192 kHz internally and would otherwise
  write that.
The output is written to a temporary file and moved into place, so nothing half-written is ever served.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from sounds import limits
from sounds.audio import max_track_s
from sounds.models import NormalizationMode

logger = logging.getLogger(__name__)

PAD_SECONDS = 3.0
MIN_INTEGRATED_SECONDS = 0.4
FFMPEG_TIMEOUT_S = 600
# A clip whose true peak is below this is silence for all purposes.
SILENCE_DBTP = -70.0
# Lossy encoders add a little overshoot (measured up to ~0.3 dB with MP3 at 256k): the limiter and the
# linear-mode check aim this far under the ceiling so the *file* stays under it.
PEAK_MARGIN_DB = 0.5
LOSSY_FORMATS = frozenset({"mp3", "ogg", "opus", "aac", "m4a"})
LIMITER_RATE = 192000
LIMITER_HEADROOM_DB = 0.3
LIMITER_PASSES = 3


@dataclass(frozen=True)
class Targets:
    integrated: float = -23.0
    true_peak: float = -2.0
    lra: float = 7.0

    @classmethod
    def from_settings(cls) -> Targets:
        return cls(
            integrated=float(getattr(settings, "NORMALIZED_TARGET_I", -23.0)),
            true_peak=float(getattr(settings, "NORMALIZED_TARGET_TP", -2.0)),
            lra=float(getattr(settings, "NORMALIZED_TARGET_LRA", 7.0)),
        )


@dataclass
class Measurement:
    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    target_offset: float

    @property
    def is_finite(self) -> bool:
        values = (self.input_i, self.input_tp, self.input_lra, self.input_thresh, self.target_offset)
        return all(math.isfinite(v) for v in values)


@dataclass
class NormalizeResult:
    mode: str
    measurement: Measurement | None
    output: Path
    sample_rate: int
    notes: list[str] = field(default_factory=list)


class NormalizationError(Exception):
    pass


class SilentAudioError(NormalizationError):
    pass


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg within the child limits, reading at most the longest track allowed (an input `-t`, so a
    file that decodes far longer than its header says can't make it work for hours or write a huge file).

    The messages are what the uploader reads on the board: ffmpeg's own output goes to the log only.
    """
    at = cmd.index("-i")
    capped = [*cmd[:at], "-t", str(max_track_s() + 1), *cmd[at:]]
    try:
        result = limits.run(capped, timeout=FFMPEG_TIMEOUT_S)
    except limits.ChildLimitExceeded as exc:
        raise NormalizationError(f"processing the audio was stopped: {exc}") from exc
    if result.returncode != 0:
        logger.warning("ffmpeg failed (%s): %s", result.returncode, result.stderr.strip()[-500:])
        raise NormalizationError("the audio could not be processed; it may be damaged")
    return result


def _last_json(text: str) -> dict[str, str]:
    """loudnorm prints its JSON block at the very end of ffmpeg's log."""
    end = text.rfind("}")
    start = text.rfind("{", 0, end)
    if start < 0 or end < 0:
        raise NormalizationError("the loudness of the audio could not be measured")
    data: dict[str, str] = json.loads(text[start : end + 1])
    return data


def _to_float(value: str | None) -> float:
    try:
        return float(value) if value is not None else math.nan
    except ValueError:
        return math.nan


def _loudnorm(targets: Targets, extra: str = "") -> str:
    return f"loudnorm=I={targets.integrated}:TP={targets.true_peak}:LRA={targets.lra}{extra}:print_format=json"


def measure(path: Path, targets: Targets) -> Measurement:
    """The first pass. ffmpeg's ebur128 measures what loudnorm's analysis would (integrated loudness, gating
    threshold, range, true peak) about four times faster; when that shows a linear gain will do, it is all we
    need. Otherwise loudnorm's own analysis runs too, for the offset its dynamic mode relies on."""
    quick = _measure_ebur128(path)
    if not quick.is_finite or linear_possible(quick, targets):
        return quick
    return _measure_loudnorm(path, targets)


def _measure_loudnorm(path: Path, targets: Targets) -> Measurement:
    result = _run(
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-map", "0:a:0",
            "-af", _loudnorm(targets), "-f", "null", "-",
        ]
    )  # fmt: skip
    data = _last_json(result.stderr)
    return Measurement(
        input_i=_to_float(data.get("input_i")),
        input_tp=_to_float(data.get("input_tp")),
        input_lra=_to_float(data.get("input_lra")),
        input_thresh=_to_float(data.get("input_thresh")),
        target_offset=_to_float(data.get("target_offset")),
    )


def _measure_ebur128(path: Path) -> Measurement:
    result = _run(
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-i", str(path),
            "-filter_complex", "[0:a:0]ebur128=peak=true", "-f", "null", "-",
        ]
    )  # fmt: skip
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    found = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS\s+Threshold:\s+(-?[\d.]+|-inf) LUFS", summary)
    lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if found is None or lra is None or peak is None:
        raise NormalizationError("the loudness of the audio could not be measured")
    return Measurement(
        input_i=_to_float(found.group(1)),
        input_tp=_to_float(peak.group(1)),
        input_lra=_to_float(lra.group(1)),
        input_thresh=_to_float(found.group(2)),
        target_offset=0.0,
    )


@dataclass(frozen=True)
class Stats:
    integrated: float
    true_peak: float
    lra: float
    rms: float


def stats(path: Path) -> Stats:
    """ebur128 (integrated loudness, true peak, range) and RMS of the clip as it is, without padding."""
    result = _run(
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-i", str(path),
            # ebur128 with true peak fails to reinitialise as a simple -af filter on some inputs, and its
            # framelog=quiet breaks the summary in ffmpeg 5.1; the real summary is the last one printed.
            "-filter_complex", "[0:a:0]ebur128=peak=true,astats",
            "-f", "null", "-",
        ]
    )  # fmt: skip
    log = result.stderr

    def last(pattern: str) -> float:
        found = re.findall(pattern, log)
        return _to_float(found[-1] if found else None)

    return Stats(
        integrated=last(r"\n\s+I:\s+(-?[\d.]+|-inf) LUFS"),
        true_peak=last(r"\n\s+Peak:\s+(-?[\d.]+|-inf) dBFS"),
        lra=last(r"\n\s+LRA:\s+(-?[\d.]+) LU"),
        rms=last(r"RMS level dB:\s*(-?[\d.]+|-inf)"),
    )


def output_sample_rate(input_rate: int | None) -> int:
    if input_rate in (44100, 48000):
        return input_rate
    return 48000


def _encode_args(sample_rate: int) -> list[str]:
    fmt = getattr(settings, "NORMALIZED_AUDIO_FORMAT", "mp3")
    bitrate = getattr(settings, "NORMALIZED_AUDIO_BITRATE", "256k")
    codec = {"mp3": "libmp3lame", "ogg": "libvorbis", "opus": "libopus", "flac": "flac", "wav": "pcm_s16le"}
    args = ["-ar", str(sample_rate), "-c:a", codec.get(fmt, "libmp3lame")]
    if fmt not in ("flac", "wav"):
        args += ["-b:a", bitrate]
    return [*args, "-map_metadata", "-1", "-vn", "-f", fmt]


def _render(source: Path, output: Path, audio_filter: str, sample_rate: int) -> str:
    """Write the filtered audio next to its final place, then move it there in one step."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".part-", suffix=output.suffix, dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = _run(
            [
                "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-y", "-i", str(source), "-map", "0:a:0",
                "-af", audio_filter, *_encode_args(sample_rate), str(tmp),
            ]
        )  # fmt: skip
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return result.stderr


def normalize_file(
    source: Path,
    output: Path,
    *,
    duration_s: float,
    input_sample_rate: int | None = None,
    one_pass: bool | None = None,
    targets: Targets | None = None,
) -> NormalizeResult:
    """Normalize `source` into `output`. Raises SilentAudioError or NormalizationError."""
    targets = targets or Targets.from_settings()
    if getattr(settings, "NORMALIZED_AUDIO_FORMAT", "mp3") in LOSSY_FORMATS:
        targets = Targets(targets.integrated, targets.true_peak - PEAK_MARGIN_DB, targets.lra)
    if one_pass is None:
        one_pass = int(getattr(settings, "NORMALIZED_AUDIO_PASSES", 2)) == 1
    rate = output_sample_rate(input_sample_rate)
    if duration_s < PAD_SECONDS:
        return _normalize_short(source, output, duration_s=duration_s, rate=rate, targets=targets, one_pass=one_pass)

    measured = measure(source, targets)
    if not math.isfinite(measured.input_tp) or measured.input_tp < SILENCE_DBTP:
        raise SilentAudioError("the audio is silent")
    if one_pass or not measured.is_finite:
        notes = [] if one_pass else ["analysis had non-finite values; used one-pass"]
        _render(source, output, _loudnorm(targets), rate)
        return NormalizeResult(NormalizationMode.DYNAMIC, measured, output, rate, notes)

    second = (
        f":measured_I={measured.input_i}:measured_TP={measured.input_tp}:measured_LRA={measured.input_lra}"
        f":measured_thresh={measured.input_thresh}:offset={measured.target_offset}:linear=true"
    )
    _render(source, output, _loudnorm(targets, second), rate)
    mode = NormalizationMode.LINEAR if linear_possible(measured, targets) else NormalizationMode.DYNAMIC
    return NormalizeResult(mode, measured, output, rate, [])


def _normalize_short(
    source: Path, output: Path, *, duration_s: float, rate: int, targets: Targets, one_pass: bool
) -> NormalizeResult:
    """Clips under 3 s, where loudnorm's 3-second window does not fit.

    The loudness is measured on the clip itself (padding with silence would let half-empty gating blocks
    drag the measurement down and make the result too loud). When a plain gain keeps the true peak under the
    ceiling that gain is the whole job, which is exactly what loudnorm's linear mode does; otherwise the gain
    is followed by an oversampled limiter that holds the peaks down.
    """
    st = stats(source)
    if not math.isfinite(st.true_peak) or st.true_peak < SILENCE_DBTP:
        raise SilentAudioError("the audio is silent")
    measurement = Measurement(st.integrated, st.true_peak, st.lra, math.nan, math.nan)
    if duration_s < MIN_INTEGRATED_SECONDS or not math.isfinite(st.integrated) or st.integrated <= -70:
        return _peak_normalize(source, output, duration_s=duration_s, rate=rate, targets=targets, st=st)
    gain = targets.integrated - st.integrated
    if not one_pass and st.true_peak + gain <= targets.true_peak:
        _render(source, output, f"volume={gain:.3f}dB", rate)
        return NormalizeResult(NormalizationMode.LINEAR, measurement, output, rate, [f"gain {gain:+.1f} dB"])
    if one_pass:
        trim = f",atrim=end={duration_s:.6f},asetpts=N/SR/TB"
        _render(source, output, f"apad=whole_dur={PAD_SECONDS}," + _loudnorm(targets) + trim, rate)
        return NormalizeResult(NormalizationMode.DYNAMIC, measurement, output, rate, ["one pass on 3 s of padding"])
    # Gain to the target, then a limiter at 4x oversampling (so it catches true peaks between samples) holds the
    # peaks under the ceiling. Limiting costs some loudness, so the gain is corrected on a lossless trial render
    # until the clip measures on target (short clips make that cheap). loudnorm on a padded clip would judge
    # loudness over 3 s and miss by several LU.
    ceiling = 10 ** ((targets.true_peak - LIMITER_HEADROOM_DB) / 20)

    def chain(g: float) -> str:
        return (
            f"aresample={LIMITER_RATE},volume={g:.3f}dB,"
            f"alimiter=limit={ceiling:.5f}:attack=0.5:release=40:level=disabled,aresample={rate}"
        )

    with tempfile.TemporaryDirectory(dir=output.parent if output.parent.exists() else None) as tmp:
        trial = Path(tmp) / "trial.wav"
        for _ in range(LIMITER_PASSES):
            _run(
                ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-y", "-i", str(source), "-map", "0:a:0",
                 "-af", chain(gain), "-c:a", "pcm_s16le", str(trial)]
            )  # fmt: skip
            miss = targets.integrated - stats(trial).integrated
            if not math.isfinite(miss) or abs(miss) < 0.3:
                break
            gain += miss
    _render(source, output, chain(gain), rate)
    return NormalizeResult(NormalizationMode.DYNAMIC, measurement, output, rate, [f"gain {gain:+.1f} dB, limited"])


def linear_possible(measured: Measurement, targets: Targets) -> bool:
    """loudnorm's own rule (af_loudnorm.c) for staying linear, so the recorded mode is the one it used.

    The plain gain must keep the true peak under the ceiling, and the measured loudness range must be above
    zero and within the target range; otherwise loudnorm quietly works dynamically.
    """
    gain = targets.integrated - measured.input_i
    return (
        measured.input_thresh > -70
        and measured.input_tp + gain <= targets.true_peak
        and 0 < measured.input_lra <= targets.lra
    )


def _peak_normalize(
    source: Path, output: Path, *, duration_s: float, rate: int, targets: Targets, st: Stats
) -> NormalizeResult:
    # Bring the RMS level to the loudness target, but never let the true peak pass the ceiling.
    wanted = targets.integrated - st.rms if math.isfinite(st.rms) else 0.0
    ceiling = targets.true_peak - st.true_peak
    gain = min(wanted, ceiling)
    _render(source, output, f"volume={gain:.2f}dB", rate)
    measurement = Measurement(math.nan, st.true_peak, math.nan, math.nan, gain)
    note = f"clip of {duration_s:.2f} s: gain {gain:+.1f} dB"
    return NormalizeResult(NormalizationMode.PEAK, measurement, output, rate, [note])
