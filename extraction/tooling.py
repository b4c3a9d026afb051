"""Which yt-dlp this install runs, and the JavaScript runtime it finds: what staff see on the Extractions page
and in /health/.

Since late 2025 YouTube serves its formats behind JavaScript challenges; yt-dlp solves them with the scripts of
yt-dlp-ejs run by an external runtime (deno, installed from PyPI with `yt-dlp[default,deno]`). Without one,
yt-dlp falls back to a path that loses most formats and only says so in a warning. This module asks yt-dlp's
own runtime detection, so what it reports is what a download will use.

It runs without Django: the extraction child (`extraction.fetch`) uses `JS_RUNTIMES` too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import metadata

# The runtimes yt-dlp may use, and their options: only deno, the one installed from PyPI with yt-dlp. (yt-dlp
# would also try a system node or bun found on PATH when asked; we pin the one the lock file controls.)
JS_RUNTIMES: dict[str, dict[str, str]] = {"deno": {}}
# The finding is cached for a while: `deno --version` is a process start, and /health/ may be polled often.
CACHE_S = 300.0


@dataclass(frozen=True)
class Runtime:
    name: str
    version: str
    supported: bool  # yt-dlp's own minimum version for it


@dataclass(frozen=True)
class Tooling:
    ytdlp_version: str
    ejs_version: str  # the challenge-solving scripts' package; "" when missing
    js_runtime: Runtime | None

    @property
    def js_ready(self) -> bool:
        return self.js_runtime is not None and self.js_runtime.supported and bool(self.ejs_version)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def _find_runtime() -> Runtime | None:
    # yt-dlp's own detection (a private module: if a release moves it, report "none" rather than crash).
    try:
        from yt_dlp.utils import _jsruntime  # noqa: PLC0415  (yt-dlp is heavy: loaded when staff ask)
    except ImportError:
        return None
    classes = {name: getattr(_jsruntime, f"{name.capitalize()}JsRuntime", None) for name in ("deno", "bun", "node")}
    for name in JS_RUNTIMES:
        runtime_class = classes.get(name)
        info = runtime_class().info if runtime_class is not None else None
        if info is not None:
            return Runtime(name=str(info.name), version=str(info.version), supported=bool(info.supported))
    return None


_cached: tuple[float, Tooling] | None = None


def detect(*, fresh: bool = False) -> Tooling:
    """The installed yt-dlp and the runtime it would use, cached for CACHE_S seconds."""
    global _cached
    now = time.monotonic()
    if fresh or _cached is None or now - _cached[0] > CACHE_S:
        found = Tooling(
            ytdlp_version=_version("yt-dlp") or "not installed",
            ejs_version=_version("yt-dlp-ejs"),
            js_runtime=_find_runtime(),
        )
        _cached = (now, found)
    return _cached[1]


def runtime_label(tooling: Tooling) -> str:
    """'deno 2.9.8', or why there is none, in words staff can act on."""
    runtime = tooling.js_runtime
    if runtime is None:
        return "none found (YouTube formats will be missing: install yt-dlp[default,deno])"
    label = f"{runtime.name} {runtime.version}"
    if not runtime.supported:
        return f"{label} (too old for yt-dlp: run make update-ytdlp)"
    if not tooling.ejs_version:
        return f"{label} (without yt-dlp-ejs, its challenge scripts: install yt-dlp[default,deno])"
    return label


def summary() -> str:
    tooling = detect(fresh=True)
    return f"yt-dlp {tooling.ytdlp_version}; JavaScript runtime: {runtime_label(tooling)}"
