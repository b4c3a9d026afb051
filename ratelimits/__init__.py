"""One rate-limit helper for the whole project: every command a user can send goes through `hit`.

Rates are written `<count>/<window>` where the window is a number and a unit (`s`, `m`, `h`, `d`) or a bare
unit: `5/10s`, `30/m`, `100/1h`. Settings parse their rates at start (`parse_rate`), so a malformed value stops
the process with a clear message instead of failing on every request.

The counter is a fixed window in Redis: one INCR and an EXPIRE set only on the window's first hit, sent in a
single pipeline, so concurrent requests from several web processes are counted exactly (no read-modify-write)
and a crash between the two commands can't leave a counter without an expiry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from core.errors import UserError
from core.redis_client import sync_client

from .rates import Rate, RateError, parse_rate

__all__ = ["Rate", "RateError", "RateLimited", "hit", "parse_rate", "rate_setting"]


class RateLimited(UserError):
    """Refused: too many requests in the window; answered 429 with `Retry-After` (whole seconds)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, 429, retry_after=max(1, retry_after))


@lru_cache(maxsize=64)
def _parsed(name: str, value: str) -> Rate:
    return parse_rate(value, setting=name)


def rate_setting(name: str) -> Rate:
    """The rate in setting `name` (settings.py already refused a malformed one at start)."""
    return _parsed(name, str(getattr(settings, name)))


@dataclass(frozen=True)
class Usage:
    count: int
    retry_after: int


_SCOPE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


def _count(scope: str, key: str, rate: Rate) -> Usage:
    if not _SCOPE.match(scope):
        raise ValueError(f"Invalid rate-limit scope {scope!r}")
    name = f"sb:rl:{scope}:{key}"
    pipe = sync_client().pipeline(transaction=True)
    pipe.incr(name)
    pipe.expire(name, rate.seconds, nx=True)
    pipe.ttl(name)
    count, _, ttl = pipe.execute()
    return Usage(int(count), int(ttl) if int(ttl) > 0 else rate.seconds)


def hit(scope: str, key: object, rate: Rate | str, *, detail: str | None = None) -> None:
    """Count one request of `key` (a user id, an IP) in `scope`; raise RateLimited past the rate.

    `rate` is a Rate or the name of a rate setting (`"PLAY_RATE_LIMIT"`).
    """
    if isinstance(rate, str):
        rate = rate_setting(rate)
    usage = _count(scope, str(key), rate)
    if usage.count > rate.count:
        raise RateLimited(
            detail or f"Too many requests; try again in {usage.retry_after} s.",
            usage.retry_after,
        )


def reset(scope: str, key: object) -> None:
    """Forget a key's count (tests, and admins lifting a limit)."""

    sync_client().delete(f"sb:rl:{scope}:{key}")
