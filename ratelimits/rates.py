"""Parsing rate settings; no Django here, so settings.py can parse its rates while it loads."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{0,9})\s*([smhd])\s*$")


class RateError(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def parse_rate(value: str, *, setting: str = "rate") -> Rate:
    """`5/10s` → Rate(5, 10). Anything else raises RateError naming the setting and the accepted forms."""
    match = _RATE.match(value or "")
    if match is None:
        raise RateError(
            f"{setting}={value!r} is not a rate. Write <count>/<window>, the window a number and a unit "
            "s, m, h or d: for example 5/10s, 30/m or 100/1h."
        )
    count, number, unit = int(match[1]), int(match[2] or 1), match[3]
    seconds = number * _UNITS[unit]
    if count < 1 or seconds < 1:
        raise RateError(f"{setting}={value!r}: the count and the window must both be at least 1.")
    return Rate(count, seconds)
