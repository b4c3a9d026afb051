"""Stage stamps for one request, answered in a `Server-Timing` header when `SERVER_TIMING` is on.

A request that is being timed carries a list of `(stage, time.monotonic())` stamps in a context variable (the
middleware in `health.middleware` starts it, asgiref carries it across the sync/async hops of one request).
Code on a hot path calls `mark("debit")` when a stage ends: without a timed request that is one context-variable
read. Stamps may come from another process (the player daemon stamps its own stages): CLOCK_MONOTONIC is one
clock for every process of a host, so they line up when the daemon runs on the web's host (the benchmark);
from another host they are meaningless, which is why this is a benchmark's switch, off by default.
"""

from __future__ import annotations

import itertools
import time
from contextvars import ContextVar, Token

Stamps = list[tuple[str, float]]

_stamps: ContextVar[Stamps | None] = ContextVar("timing_stamps", default=None)


def start() -> Token[Stamps | None]:
    """Time the current request from now (its first stamp is `start`)."""
    return _stamps.set([("start", time.monotonic())])


def stop(token: Token[Stamps | None]) -> Stamps:
    stamps = _stamps.get() or []
    _stamps.reset(token)
    return stamps


def mark(stage: str, at: float | None = None) -> None:
    """Stage `stage` ended now (or at `at`, a `time.monotonic()` value, possibly another process's)."""
    stamps = _stamps.get()
    if stamps is not None:
        stamps.append((stage, time.monotonic() if at is None else at))


def header(stamps: Stamps) -> str:
    """`Server-Timing`: each stage's duration since the stamp before it (ms), in time order, then the request's
    start on this host's monotonic clock (`clock;desc=…`, seconds) so a client on the same host can line the
    stages up with its own clock."""
    if not stamps:
        return ""
    # In time order: another process's stages may end after ours (the first samples are due after the answer).
    stamps = sorted(stamps, key=lambda stamp: stamp[1])
    parts = [f"{name};dur={(at - before) * 1000:.3f}" for (_, before), (name, at) in itertools.pairwise(stamps)]
    parts.append(f'clock;desc="{stamps[0][1]:.6f}"')
    return ", ".join(parts)
