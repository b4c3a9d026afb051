"""What every page's shell needs: navigation and the configured sign-in providers."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from live import presence
from player import quiet, rooms
from player.client import published_state


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str
    staff_only: bool = False


# (label, url name, icon). A link appears only once its page exists, so the sidebar grows with the app.
NAV = [
    ("Soundboard", "home", "grid"),
    ("Player", "player:page", "music"),
    ("Playlists", "playlists:list", "list"),
    ("Extractions", "extraction:list", "download"),
    ("Dashboard", "dashboard", "chart"),
    ("Credits", "credits:history", "coins"),
]


@cache
def _nav_items() -> tuple[NavItem, ...]:
    items = []
    for label, name, icon in NAV:
        try:
            items.append(NavItem(label, reverse(name), icon))
        except NoReverseMatch:
            continue
    items.append(NavItem("Quiet hours", reverse("player:quiet_hours"), "moon", staff_only=True))
    items.append(NavItem("Admin", reverse("admin:index"), "shield", staff_only=True))
    return tuple(items)


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_staff = bool(user and user.is_authenticated and user.is_staff)
    items = [i for i in _nav_items() if is_staff or not i.staff_only]
    context: dict[str, Any] = {"nav_items": items, "current_path": request.path}
    if user is not None and user.is_authenticated:
        # Callables: evaluated only by templates that show them (one Redis read each), for the person's room.
        room = functools.cache(lambda: rooms.chosen_slug(user))
        context["player_room"] = room
        context["player_state"] = lambda: published_state(room())
        statuses = functools.cache(rooms.statuses)
        context["room_statuses"] = statuses  # the top bar's room switcher
        context["room_names"] = lambda: {status.slug: status.name for status in statuses()}  # the feed's "in <room>"
        context["online_count"] = presence.online_count_sync
        # The banner of the board and the player page, and when it next changes, for the person's room.
        context["quiet_hours"] = lambda: quiet.outlook(room=room())
    return context
