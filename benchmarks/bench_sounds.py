"""Issue 3: scanning 2,000 files, normalization accuracy against ffmpeg-normalize, the library page at 5,000 sounds.

The generated audio is cached under var/bench-corpus/<version>/ so a re-run starts measuring at once;
ffmpeg-normalize lives in a venv of its own (var/bench-venv), never in the project's dependencies.
"""

from __future__ import annotations

import http.client
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from array import array
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.harness import BENCH_REDIS_URL, ROOT, App, percentile, running_app, summary

if TYPE_CHECKING:
    from sounds.normalizer import NormalizeResult

# Bump a version when its generator changes: the cached corpus is keyed by it.
CORPUS_VERSIONS = {"scan": "scan-v1", "loudness": "loudness-v3"}
CORPUS_ROOT = ROOT / "var" / "bench-corpus"
BENCH_VENV = ROOT / "var" / "bench-venv"
WORKERS = 2

SCAN_FILES = 2000
SCAN_FORMATS = ("wav", "mp3", "flac", "ogg", "m4a")
CODEC_ARGS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "3"],
    "m4a": ["-c:a", "aac", "-b:a", "128k"],
    "wav": ["-c:a", "pcm_s16le"],
}
FFMPEG_BATCH = 40  # outputs per ffmpeg process: one start-up for many short files
PROBE_SAMPLE = 200

TARGET_I = -23.0
TARGET_TP = -2.0
TOLERANCE_LU = 1.0

LIBRARY_SOUNDS = 5000
REQUESTS = 200
SEARCH_WORD = "airhorn"


def _ffmpeg(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {' '.join(cmd)[:300]}\n{result.stderr[-2000:]}")
    return result


@contextmanager
def _cached_corpus(name: str) -> Iterator[tuple[Path, bool]]:
    """Yield (folder, ready). When not ready, fill the folder; it becomes the cache only if that succeeds."""
    final = CORPUS_ROOT / CORPUS_VERSIONS[name]
    if (final / ".complete").is_file():
        yield final, True
        return
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    yield partial, False
    (partial / ".complete").write_text("ok\n")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)


# --- 1. Scanning --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScanSpec:
    index: int
    fmt: str
    rel: str
    duration: float
    rate: int
    kind: str  # tone | white | pink | brown
    freq: float
    amplitude: float


def _scan_specs() -> list[ScanSpec]:
    rng = random.Random(20240601)
    specs = []
    for i in range(SCAN_FILES):
        fmt = SCAN_FORMATS[i % len(SCAN_FORMATS)]
        kind = ("tone", "tone", "white", "pink", "brown")[rng.randrange(5)]
        freq = round(80 + rng.random() * 4000, 2)
        duration = round(0.2 + rng.random() * 1.8, 3)
        rate = rng.choice((22050, 44100, 48000))
        amplitude = round(0.05 + rng.random() * 0.6, 3)
        rel = f"set{i % 20:02d}/{kind}-{i:04d}-{int(freq)}hz.{fmt}"
        specs.append(ScanSpec(i, fmt, rel, duration, rate, kind, freq, amplitude))
    return specs


def _write_wav(path: Path, spec: ScanSpec) -> None:
    """Distinct 16-bit PCM without ffmpeg: one period (or a block of noise) computed, then repeated."""
    if spec.kind == "tone":
        period = max(2, round(spec.rate / spec.freq))
        cycle = [round(32767 * spec.amplitude * math.sin(2 * math.pi * k / period)) for k in range(period)]
    else:
        rng = random.Random(spec.index)
        cycle = [round(32767 * spec.amplitude * (rng.random() * 2 - 1)) for _ in range(4096)]
    # A few extra samples per file keep even two identical cycles from giving identical files.
    frames = int(spec.duration * spec.rate) + spec.index % 97
    samples = array("h", cycle * (frames // len(cycle) + 1))[:frames]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(spec.rate)
        out.writeframes(samples.tobytes())


def _lavfi_source(spec: ScanSpec) -> str:
    if spec.kind == "tone":
        expr = f"{spec.amplitude}*sin(2*PI*{spec.freq}*t)"
        return f"aevalsrc=exprs='{expr}':s={spec.rate}:d={spec.duration}"
    return f"anoisesrc=c={spec.kind}:a={spec.amplitude}:r={spec.rate}:d={spec.duration}:seed={spec.index + 1}"


def _encode_batch(folder: Path, batch: list[ScanSpec]) -> None:
    args: list[str] = []
    for spec in batch:
        args += ["-f", "lavfi", "-i", _lavfi_source(spec)]
    for j, spec in enumerate(batch):
        channels = ["-ac", "2"] if spec.index % 4 == 0 else []
        args += ["-map", f"{j}:a", *CODEC_ARGS[spec.fmt], *channels, str(folder / spec.rel)]
    _ffmpeg(*args)


def scan_corpus() -> tuple[Path, list[ScanSpec]]:
    specs = _scan_specs()
    with _cached_corpus("scan") as (folder, ready):
        if ready:
            print(f"scan corpus: reusing {len(specs)} files in {folder.relative_to(ROOT)}", flush=True)
            return folder, specs
        start = time.perf_counter()
        print(f"scan corpus: generating {len(specs)} files (cached for later runs)...", flush=True)
        for spec in specs:
            (folder / spec.rel).parent.mkdir(parents=True, exist_ok=True)
        compressed = [s for s in specs if s.fmt != "wav"]
        batches = [compressed[i : i + FFMPEG_BATCH] for i in range(0, len(compressed), FFMPEG_BATCH)]
        with ThreadPoolExecutor(WORKERS) as pool:
            futures = [pool.submit(_encode_batch, folder, batch) for batch in batches]
            for spec in specs:  # WAVs in Python meanwhile: ffmpeg runs outside the GIL
                if spec.fmt == "wav":
                    _write_wav(folder / spec.rel, spec)
            for done, future in enumerate(futures, start=1):
                future.result()
                if done % 10 == 0 or done == len(futures):
                    print(f"  encoded {done}/{len(futures)} ffmpeg batches", flush=True)
        print(f"scan corpus: generated in {time.perf_counter() - start:.1f} s", flush=True)
    return CORPUS_ROOT / CORPUS_VERSIONS["scan"], specs


def _place(corpus: Path, specs: Sequence[ScanSpec], dest: Path) -> None:
    for spec in specs:
        target = dest / spec.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(corpus / spec.rel, target)
        except OSError:
            shutil.copy2(corpus / spec.rel, target)


def bench_scan(sounds_root: Path) -> None:
    from sounds import audio
    from sounds.models import Sound, SoundType, originals_dir
    from sounds.scanner import scan

    corpus, specs = scan_corpus()
    originals = originals_dir(SoundType.SDB)
    _place(corpus, specs, originals)
    for spec in specs:  # read once, so the first scan is timed against a warm page cache like a rescan would be
        (originals / spec.rel).read_bytes()

    start = time.perf_counter()
    first = scan()
    elapsed = time.perf_counter() - start
    counts = first.counts()
    print(
        f"first scan, {len(specs)} files ({len(specs) // len(SCAN_FORMATS)} each {'/'.join(SCAN_FORMATS)}, "
        f"0.2-2 s): {elapsed:.2f} s, {len(specs) / elapsed:.0f} files/s "
        f"(added={counts['added']} duplicates={counts['duplicates']} errors={counts['errors']})",
        flush=True,
    )
    for error in first.errors[:5]:
        print(f"  scan error: {error}")
    if Sound.objects.count() != len(specs):
        print(f"  WARNING: {Sound.objects.count()} sounds in the database, expected {len(specs)}")

    start = time.perf_counter()
    again = scan()
    elapsed = time.perf_counter() - start
    counts = again.counts()
    print(
        f"rescan, nothing changed: {elapsed:.2f} s (target < 2 s) "
        f"(skipped={counts['skipped']} added={counts['added']} updated={counts['updated']})",
        flush=True,
    )

    sample = [
        s for fmt in SCAN_FORMATS for s in [x for x in specs if x.fmt == fmt][: PROBE_SAMPLE // len(SCAN_FORMATS)]
    ]
    mutagen_ms: list[float] = []
    ffprobe_ms: list[float] = []
    misses = 0
    worst_gap, worst_fmt = 0, ""
    for spec in sample:
        path = originals / spec.rel
        t0 = time.perf_counter()
        fast = audio._mutagen_info(path)
        t1 = time.perf_counter()
        slow = audio.ffprobe(path)
        t2 = time.perf_counter()
        mutagen_ms.append((t1 - t0) * 1000)
        ffprobe_ms.append((t2 - t1) * 1000)
        if fast is None:
            misses += 1
        else:
            gap = abs(fast.duration_ms - slow.duration_ms)
            if gap > worst_gap:
                worst_gap, worst_fmt = gap, spec.fmt
    m, f = statistics.median(mutagen_ms), statistics.median(ffprobe_ms)
    print(
        f"duration read per file, median over {len(sample)} files: mutagen {m:.2f} ms vs ffprobe {f:.1f} ms "
        f"= {f / m:.0f}x faster (mutagen could not read {misses}; largest disagreement {worst_gap} ms, {worst_fmt})",
        flush=True,
    )


# --- 2. Normalization accuracy --------------------------------------------------------------------------------
SHORT_TEXT = "Nice shot!"
SENTENCE = "The quick brown fox jumps over the lazy dog, and then it runs back into the forest."
PARAGRAPH = (
    "Welcome to the soundboard. Every clip you upload is measured and brought to the same loudness, "
    "so a whisper and an air horn play at a comfortable level side by side. Press a button to play a sound "
    "for everyone in the room, or search the library for the one you need."
)


@dataclass(frozen=True)
class Clip:
    name: str
    fmt: str
    build: tuple[str, ...]  # ffmpeg arguments between the inputs and the codec options
    about: str


def _clips(speech: Path) -> list[Clip]:
    s_short, s_sentence, s_para = (str(speech / f"{n}.wav") for n in ("short", "sentence", "paragraph"))

    def tone(expr: str, rate: int, dur: float) -> tuple[str, ...]:
        return ("-f", "lavfi", "-i", f"aevalsrc=exprs='{expr}':s={rate}:d={dur}")

    def noise(color: str, amp: float, rate: int, dur: float, seed: int) -> tuple[str, ...]:
        return ("-f", "lavfi", "-i", f"anoisesrc=c={color}:a={amp}:r={rate}:d={dur}:seed={seed}")

    # 1-2 ms full-scale clicks barely move the loudness but put the true peak near 0 dBTP: at -23 LUFS they
    # would pass the -2 dBTP ceiling, so these clips need the limiter (loudnorm's dynamic mode).
    clicks = "0.99*sin(2*PI*1000*t)*lt(mod(t,1.5),0.001)"
    one_click = "0.99*sin(2*PI*1000*t)*between(t,0.7,0.701)"
    spikes = "(0.05+0.94*lt(mod(t,2),0.002))*sin(2*PI*660*t)"
    # Loud and quiet halves: a loudness range well over the 7 LU target.
    loud_quiet = "volume='if(lt(mod(t,10),5),1,0.08)':eval=frame"
    sweep = "0.5*sin(2*PI*(50*t+97.5*t*t))"
    return [
        Clip("tone1k-m20dbfs-0p5s", "wav", tone("0.1*sin(2*PI*1000*t)", 48000, 0.5), "1 kHz at -20 dBFS, 0.5 s"),
        Clip("speech-short", "m4a", ("-i", s_short), "espeak-ng, two words"),
        Clip("tone440-loud-1p2s", "mp3", tone("0.9*sin(2*PI*440*t)", 44100, 1.2), "440 Hz at -1 dBFS, 1.2 s"),
        Clip(
            "square-clipped-2s",
            "mp3",
            tone("0.99*gt(sin(2*PI*220*t),0)-0.99*lt(sin(2*PI*220*t),0)", 44100, 2),
            "220 Hz square at full scale, 2 s",
        ),
        Clip("tone100-quiet-2p5s", "flac", tone("0.02*sin(2*PI*100*t)", 44100, 2.5), "100 Hz at -34 dBFS, 2.5 s"),
        Clip("white-3s", "ogg", noise("white", 0.3, 48000, 3, 1), "white noise, 3 s"),
        Clip("speech-sentence", "mp3", ("-i", s_sentence), "espeak-ng sentence"),
        Clip("pink-quiet-5s", "m4a", noise("pink", 0.02, 44100, 5, 2), "quiet pink noise, 5 s"),
        Clip(
            "speech-quiet-click-1p5s",
            "ogg",
            (
                "-i",
                s_sentence,
                *tone(one_click, 22050, 1.5),
                "-filter_complex",
                "[0:a]volume=0.3,atrim=end=1.5[s];[s][1:a]amix=inputs=2:duration=shortest:normalize=0[a]",
                "-map",
                "[a]",
            ),
            "quiet speech with one full-scale 1 ms click, 1.5 s: needs the limiter",
        ),
        Clip(
            "speech-quiet-clicks-8s",
            "wav",
            (
                "-i",
                s_sentence,
                *tone(clicks, 22050, 8),
                "-filter_complex",
                "[0:a]volume=0.3,apad=whole_dur=8[s];[s][1:a]amix=inputs=2:duration=longest:normalize=0[a]",
                "-map",
                "[a]",
            ),
            "quiet speech with full-scale 1 ms clicks, 8 s: needs the limiter",
        ),
        Clip(
            "speech-padded-10s", "ogg", ("-i", s_sentence, "-af", "apad=whole_dur=10"), "sentence then silence to 10 s"
        ),
        Clip("sweep-10s", "ogg", tone(sweep, 48000, 10), "50 Hz-2 kHz sweep, 10 s"),
        Clip("speech-loop-15s", "flac", ("-stream_loop", "-1", "-i", s_sentence, "-t", "15"), "sentence looped, 15 s"),
        Clip("tone-spikes-20s", "flac", tone(spikes, 48000, 20), "quiet tone with 2 ms full-scale spikes, 20 s"),
        Clip(
            "speech-loudquiet-30s",
            "m4a",
            ("-stream_loop", "-1", "-i", s_para, "-t", "30", "-af", loud_quiet, "-ar", "44100"),
            "paragraph looped, 5 s loud / 5 s 22 dB quieter, 30 s",
        ),
        Clip(
            "speech-60s",
            "mp3",
            ("-stream_loop", "-1", "-i", s_para, "-t", "60", "-ar", "48000"),
            "paragraph looped, 60 s",
        ),
        Clip("pink-60s", "wav", (*noise("pink", 0.15, 48000, 60, 3), "-ac", "2"), "pink noise stereo, 60 s"),
    ]


def loudness_corpus() -> list[tuple[Clip, Path]]:
    with _cached_corpus("loudness") as (folder, ready):
        speech = folder / "speech"
        clips = _clips(speech)
        if not ready:
            start = time.perf_counter()
            print(f"loudness corpus: generating {len(clips)} clips (cached for later runs)...", flush=True)
            speech.mkdir()
            for name, text in (("short", SHORT_TEXT), ("sentence", SENTENCE), ("paragraph", PARAGRAPH)):
                subprocess.run(["espeak-ng", "-w", str(speech / f"{name}.wav"), text], check=True)

            def build(clip: Clip) -> None:
                _ffmpeg(*clip.build, *CODEC_ARGS[clip.fmt], str(folder / f"{clip.name}.{clip.fmt}"))

            with ThreadPoolExecutor(WORKERS) as pool:
                list(pool.map(build, clips))
            print(f"loudness corpus: generated in {time.perf_counter() - start:.1f} s", flush=True)
    folder = CORPUS_ROOT / CORPUS_VERSIONS["loudness"]
    return [(clip, folder / f"{clip.name}.{clip.fmt}") for clip in _clips(folder / "speech")]


@dataclass(frozen=True)
class Loudness:
    integrated: float
    true_peak: float

    @property
    def hit(self) -> bool:
        return abs(self.integrated - TARGET_I) <= TOLERANCE_LU and self.true_peak <= TARGET_TP

    def __str__(self) -> str:
        return f"I={self.integrated:6.1f} LUFS TP={self.true_peak:5.1f} dBTP"


def check_loudness(path: Path) -> Loudness:
    """An independent check with ffmpeg's ebur128; the last summary printed is the real one."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-filter_complex", "[0:a:0]ebur128=peak=true",
         "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found_i = re.findall(r"\n\s+I:\s+(-?[\d.]+|-inf) LUFS", result.stderr)
    found_p = re.findall(r"\n\s+Peak:\s+(-?[\d.]+|-inf) dBFS", result.stderr)
    if result.returncode != 0 or not found_i or not found_p:
        return Loudness(math.nan, math.nan)
    return Loudness(float(found_i[-1]), float(found_p[-1]))


def _duration_s(path: Path) -> float:
    from sounds import audio

    return audio.probe(path).duration_ms / 1000


def ffmpeg_normalize() -> Path:
    exe = BENCH_VENV / "bin" / "ffmpeg-normalize"
    if exe.is_file():
        return exe
    print("installing ffmpeg-normalize into var/bench-venv (benchmark only)...", flush=True)
    uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not (BENCH_VENV / "bin" / "python").is_file():
        subprocess.run([uv, "venv", "--quiet", str(BENCH_VENV), "--python", "3.12"], check=True)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(BENCH_VENV / "bin" / "python"), "ffmpeg-normalize"],
        check=True,
    )
    return exe


def _ffmpeg_mode(result: NormalizeResult, lra_target: float) -> str:
    """What loudnorm actually did, by its own rule (af_loudnorm.c, init): a linear second pass also needs a
    measured loudness range that is neither 0 nor above the target, else it silently runs dynamically."""
    m = result.measurement
    if result.mode != "linear" or m is None or not math.isfinite(m.input_thresh):
        return result.mode  # the short-clip paths choose volume= or loudnorm themselves: no hidden switch
    gain = TARGET_I - m.input_i
    if m.input_thresh == -70 or m.input_i == 0 or m.input_tp + gain > TARGET_TP:
        return "dynamic (peak)"
    if m.input_lra == 0:
        return "dynamic (LRA 0)"
    if m.input_lra > lra_target:
        return f"dynamic (LRA {m.input_lra:.1f} > {lra_target:.0f})"
    return "linear"


def bench_normalization(scratch: Path) -> None:
    from sounds import audio
    from sounds.normalizer import NormalizationError, Targets, normalize_file

    corpus = loudness_corpus()
    total_audio = sum(_duration_s(path) for _, path in corpus)
    ours_dir, theirs_dir = scratch / "normalized-ours", scratch / "normalized-theirs"
    results: dict[str, NormalizeResult | str] = {}

    def ours(item: tuple[Clip, Path], out_dir: Path) -> None:
        clip, src = item
        info = audio.probe(src)  # what services.normalize_sound hands the normalizer
        out = out_dir / f"{clip.name}.mp3"
        try:
            results[clip.name] = normalize_file(
                src, out, duration_s=info.duration_ms / 1000, input_sample_rate=info.sample_rate
            )
        except NormalizationError as exc:
            results[clip.name] = f"error: {exc}"

    def timed_pool(items: list[tuple[Clip, Path]], out_dir: Path) -> float:
        start = time.perf_counter()
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda item: ours(item, out_dir), items))
        return time.perf_counter() - start

    print(
        f"normalizing {len(corpus)} clips ({total_audio:.0f} s of audio, 0.5-60 s each), {WORKERS} threads...",
        flush=True,
    )
    # Queue order decides whether the longest clip runs alone at the end, so both orders are timed: the corpus
    # order (shortest first, the worst case) and longest first (what a batch runner would pick).
    as_listed_s = timed_pool(corpus, scratch / "normalized-as-listed")
    longest_first = sorted(corpus, key=lambda item: -_duration_s(item[1]))
    ours_s = timed_pool(longest_first, ours_dir)

    exe = ffmpeg_normalize()
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"running {version or 'ffmpeg-normalize'} on the same clips, sequentially (one invocation)...", flush=True)
    theirs_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    run = subprocess.run(
        [str(exe), *(str(path) for _, path in corpus), "-nt", "ebu", "-t", str(TARGET_I), "-tp", str(TARGET_TP),
         "-lrt", "7", "-c:a", "libmp3lame", "-b:a", "256k", "-ar", "48000", "-ext", "mp3",
         "-of", str(theirs_dir), "-f", "-q"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    theirs_s = time.perf_counter() - start
    if run.returncode != 0:
        print(f"  ffmpeg-normalize exited {run.returncode}: {run.stderr.strip()[-500:]}")

    outputs = [ours_dir / f"{clip.name}.mp3" for clip, _ in corpus]
    outputs += [theirs_dir / f"{clip.name}.mp3" for clip, _ in corpus]
    with ThreadPoolExecutor(WORKERS) as pool:
        checked = list(pool.map(check_loudness, outputs))
    our_results, their_results = checked[: len(corpus)], checked[len(corpus) :]

    lra_target = Targets.from_settings().lra
    mislabelled = []
    print(f"  {'clip':<24} {'in':>4} {'dur':>6}  {'ours, ebur128 of the output':<38} {'mode recorded':<14} "
          f"{'what loudnorm did':<22} ffmpeg-normalize")  # fmt: skip
    for (clip, path), mine, theirs in zip(corpus, our_results, their_results, strict=True):
        result = results[clip.name]
        recorded = result if isinstance(result, str) else str(result.mode)
        actual = result if isinstance(result, str) else _ffmpeg_mode(result, lra_target)
        if actual != recorded:
            mislabelled.append(f"{clip.name}: {actual}")
        mark_mine, mark_theirs = ("ok  " if r.hit else "MISS" for r in (mine, theirs))
        print(
            f"  {clip.name:<24} {clip.fmt:>4} {_duration_s(path):5.1f}s  {mine!s} {mark_mine} "
            f"{recorded:<14} {actual:<22} {theirs!s} {mark_theirs}"
        )

    def report(label: str, results: list[Loudness]) -> None:
        hits = sum(r.hit for r in results)
        misses = [f"{clip.name} ({r})" for (clip, _), r in zip(corpus, results, strict=True) if not r.hit]
        print(
            f"{label} hit rate (+/-{TOLERANCE_LU:.0f} LU of {TARGET_I:.0f} LUFS, TP <= {TARGET_TP:.0f} dBTP): "
            f"{hits}/{len(results)}" + (f"; misses: {', '.join(misses)}" if misses else ""),
            flush=True,
        )

    report("normalization, ours", our_results)
    report("normalization, ffmpeg-normalize", their_results)
    print(
        f"normalization wall time: ours {ours_s:.1f} s ({WORKERS} threads, longest first) vs ffmpeg-normalize "
        f"{theirs_s:.1f} s (sequential) = {ours_s / theirs_s:.2f}x (target <= 0.6x); in corpus order "
        f"(shortest first) ours took {as_listed_s:.1f} s = {as_listed_s / theirs_s:.2f}x",
        flush=True,
    )
    if mislabelled:
        print(
            f"normalization mode: {len(mislabelled)}/{len(corpus)} clips are recorded as 'linear' but loudnorm ran "
            f"dynamically: {'; '.join(mislabelled)}",
            flush=True,
        )


# --- In-process Django on scratch storage -----------------------------------------------------------------------
@contextmanager
def django_scratch() -> Iterator[Path]:
    """Set Django up in this process against a scratch database and sound folder; the environment is restored."""
    workdir = Path(tempfile.mkdtemp(prefix="soundboard-bench-sounds-"))
    overrides = {
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SOUNDS_ROOT": str(workdir / "sounds"),
        "MEDIA_ROOT": str(workdir / "media"),
        "VAR_DIR": str(workdir / "var"),
        "REDIS_URL": BENCH_REDIS_URL,
        "TESTING": "false",
        "DEBUG": "false",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "soundboard.settings",
    }
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", "--noinput", verbosity=0)  # a fresh database: no scan holds the one-scan slot
        yield workdir
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(workdir, ignore_errors=True)


# --- 3. The library page --------------------------------------------------------------------------------------
ADJECTIVES = ["loud", "tiny", "epic", "sad", "happy", "weird", "classic", "retro", "spooky", "funny", "café", "über"]
NOUNS = [
    "airhorn", "trombone", "laugh", "applause", "drumroll", "explosion", "bell", "whistle", "cat", "dog",
    "crowd", "siren", "bruh", "wow", "fail", "victory", "boing", "ding", "whoosh", "scream", "zap", "honk",
    "gong", "cheer", "record scratch",
]  # fmt: skip

INSERT_SOUNDS = """
import random
from sounds.models import Sound, SoundType, fold
adjectives, nouns, total = {adjectives!r}, {nouns!r}, {total}
rng = random.Random(7)
types = [SoundType.SDB] * 6 + [SoundType.TTS] * 2 + [SoundType.EXT] * 2
rows = []
for i in range(total):
    name = f"{{rng.choice(adjectives).capitalize()}} {{rng.choice(nouns)}} {{i}}"
    kind = rng.choice(types)
    rows.append(Sound(
        type=kind, name=name, search_name=fold(name)[:255], filename=f"bench/{{i:05d}}.mp3",
        duration=rng.randint(200, 60000), size=rng.randint(5000, 2000000), hash=f"{{i:064x}}",
        file_mtime=1.7e9 + i, play_count=rng.randint(0, 500), is_normalized=rng.random() < 0.8,
    ))
Sound.objects.bulk_create(rows, batch_size=500)
print(Sound.objects.count(), Sound.objects.filter(search_name__contains={word!r}).count())
"""


def _timed_gets(app: App, path: str, headers: dict[str, str], n: int) -> tuple[list[float], set[int], bytes]:
    conn = http.client.HTTPConnection(app.host, app.port, timeout=30)
    latencies: list[float] = []
    statuses: set[int] = set()
    body = b""
    try:
        for _ in range(n):
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            latencies.append((time.perf_counter() - start) * 1000)
            statuses.add(response.status)
    finally:
        conn.close()
    return latencies, statuses, body


def _result_count(body: bytes) -> str:
    found = re.search(rb'data-testid="result-count">\s*([^<]*?)\s*<', body)
    return found.group(1).decode() if found else "?"


def bench_library(app: App) -> None:
    code = INSERT_SOUNDS.format(adjectives=ADJECTIVES, nouns=NOUNS, total=LIBRARY_SOUNDS, word=SEARCH_WORD)
    total, matching = app.manage("shell", "-c", code).split()[-2:]
    print(f"library: {total} sounds inserted, {matching} with '{SEARCH_WORD}' in the name", flush=True)
    cookie = f"sessionid={app.session_for('bench-library@example.com')}"
    page = {"Cookie": cookie}
    search = {"Cookie": cookie, "HX-Request": "true"}
    search_path = f"/?q={SEARCH_WORD}"
    _timed_gets(app, "/", page, 20)  # warm-up: templates, connections, caches
    _timed_gets(app, search_path, search, 20)

    page_ms, page_status, page_body = _timed_gets(app, "/", page, REQUESTS)
    search_ms, search_status, search_body = _timed_gets(app, search_path, search, REQUESTS)
    print(
        f"library page '/' ({total} sounds, full page, {len(page_body) // 1024} KB, status {sorted(page_status)}, "
        f"'{_result_count(page_body)}'): {summary(page_ms)}; p50 {percentile(page_ms, 50):.1f} ms (target < 50 ms)",
        flush=True,
    )
    print(
        f"library search '{search_path}' (HX-Request partial, {len(search_body) // 1024} KB, "
        f"status {sorted(search_status)}, '{_result_count(search_body)}'): {summary(search_ms)}; "
        f"p50 {percentile(search_ms, 50):.1f} ms (target < 30 ms)",
        flush=True,
    )
    # Staff see a management menu (three more forms) on every card: the heaviest version of the page.
    staff = {"Cookie": f"sessionid={app.session_for('bench-staff@example.com', is_staff=True)}"}
    _timed_gets(app, "/", staff, 20)
    staff_ms, staff_status, staff_body = _timed_gets(app, "/", staff, REQUESTS // 2)
    print(
        f"  (for comparison: '/' as a staff user, {len(staff_body) // 1024} KB, status {sorted(staff_status)}: "
        f"{summary(staff_ms)})",
        flush=True,
    )


def main() -> None:
    from django.conf import settings

    if settings.configured:
        # Another benchmark already set Django up in this process against its own scratch app: start afresh.
        code = "from benchmarks.bench_sounds import main; main()"
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        return
    started = time.perf_counter()
    with django_scratch() as scratch:
        bench_scan(scratch)
        bench_normalization(scratch)
    with running_app() as app:
        bench_library(app)
    print(f"(sounds benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
