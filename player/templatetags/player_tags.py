from __future__ import annotations

from typing import Any

from django import template

from player.protocol import MAX_VOLUME, MIN_VOLUME, MODES

register = template.Library()


@register.filter
def current_track(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if not state:
        return None
    if "current_track" in state:  # the published state names it; the list itself is not published
        track: dict[str, Any] | None = state["current_track"]
        return track
    index, tracks = state.get("current_index"), state.get("tracks") or []
    return tracks[index] if isinstance(index, int) and 0 <= index < len(tracks) else None


@register.filter
def percent(position: int | None, duration: int | None) -> float:
    return round(100 * (position or 0) / duration, 1) if duration else 0.0


# The protocol's modes, labelled from their names ("loop_one" → "Loop one"): one list for API, daemon and pages.
MODE_CHOICES: list[tuple[str, str]] = [(mode, mode.replace("_", " ").capitalize()) for mode in MODES]


@register.simple_tag
def player_modes() -> list[tuple[str, str]]:
    return MODE_CHOICES


@register.simple_tag
def volume_bounds() -> tuple[int, int]:
    """The protocol's volume range, for the bar's slider."""
    return MIN_VOLUME, MAX_VOLUME
