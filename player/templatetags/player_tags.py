from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from player import quiet, rooms
from player.forms import MODE_CHOICES
from player.protocol import DEFAULT_ROOM, MAX_VOLUME, MIN_VOLUME, PublishedState, TrackInfo

register = template.Library()


@register.filter
def current_track(state: PublishedState | dict[str, Any] | None) -> TrackInfo | dict[str, Any] | None:
    """The track playing: a published state names it; a page's dict may carry the list and an index instead."""
    if not state:
        return None
    if isinstance(state, PublishedState):
        return state.current_track
    if "current_track" in state:  # the published state as a dict (the page shell's)
        track: dict[str, Any] | None = state["current_track"]
        return track
    index, tracks = state.get("current_index"), state.get("tracks") or []
    return tracks[index] if isinstance(index, int) and 0 <= index < len(tracks) else None


@register.filter
def percent(position: int | None, duration: int | None) -> float:
    return round(100 * (position or 0) / duration, 1) if duration else 0.0


@register.simple_tag
def player_modes() -> list[tuple[str, str]]:
    """The protocol's modes with their labels (`player.forms.MODE_CHOICES`): the bar offers what the form takes."""
    return MODE_CHOICES


@register.simple_tag
def volume_bounds() -> tuple[int, int]:
    """The protocol's volume range, for the bar's slider."""
    return MIN_VOLUME, MAX_VOLUME


@register.simple_tag
def quiet_period(event_room: str | None, page_room: str | None) -> quiet.Quiet | None:
    """The bar's room's quiet period now. A live event's render names its room (no request, no context processor);
    a page's render has the person's room (`player_room`)."""
    return quiet.current(room=event_room or page_room or DEFAULT_ROOM)


@register.simple_tag
def room_label(slug: str | None, names: Mapping[str, str]) -> str:
    """The room's name for the feed's "in <room>", or "" while there is only one room (nothing to tell apart).

    `names` (slug → name) is given by the page (`room_names` in web.context_processors) or, for live events, by
    live.rendering: a template rendered on the event loop may not read the database."""
    return rooms.label(slug, names)
