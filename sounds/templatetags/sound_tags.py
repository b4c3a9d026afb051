from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def duration(ms: int | None) -> str:
    """2500 -> '2.5 s', 75000 -> '1:15', 3723000 -> '1:02:03'."""
    if not ms:
        return "0 s"
    if ms < 10_000:
        return f"{ms / 1000:.1f} s"
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def filesize(size: int | None) -> str:
    value = float(size or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


# What each kind of press costs, by the setting that prices it.
_COSTS = {"play": "CREDIT_COST_PLAY", "music": "CREDIT_COST_PLAYER"}


@register.simple_tag
def cost(kind: str) -> str:
    """What a press costs, in the words buttons show: "1 credit", "2 credits" or "free"."""
    amount = int(getattr(settings, _COSTS[kind]))
    return "free" if amount <= 0 else f"{amount} credit{'s' if amount != 1 else ''}"


@register.filter
def lookup(mapping: dict[object, object] | None, key: object) -> object:
    """`mapping[key]`, or None: a per-card value from a dict made once per page (a sound's hotkey)."""
    return mapping.get(key) if mapping else None
