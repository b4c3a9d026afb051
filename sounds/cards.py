"""The board's cards: rendered once per distinct content, then reused.

The cards are most of the board's HTML, and running the template engine over them was most of a page's time. A
card is put together from fragments of `sounds/_card.html`, each cached in this process under exactly what it
shows, so a fragment can never be stale: a sound that changes makes a new key, and the old fragment ages out of
the LRU. Nothing to invalidate, no signal to forget.

- the head: the sound's own fields (name, type, length, plays, state, face, uploader, tags, running cooldown),
  the same for everyone;
- the key: the viewer's hotkey for it, slotted into the head's name line;
- the tail: the star, the headphones and the menus' openers (did this viewer star it, may they edit it).

What differs on every request (the CSRF token) is in no card: the board's one form carries it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from sounds.models import Sound, SoundType, may_edit
from sounds.templatetags.sound_tags import cost

# Enough for a large library's heads plus the tails its regular visitors need (about 1 KB each).
CACHED_FRAGMENTS = 20_000
# Where the viewer's hotkey goes in a head. User text is escaped ("<" becomes "&lt;"), so only the template itself
# can contain this comment.
KEY_SLOT = mark_safe("<!--key-->")
TYPE_LABELS = dict(SoundType.choices)


class Head(NamedTuple):
    """Everything a card's head shows: its cache key."""

    id: int
    type: str
    name: str
    duration: int
    plays: int
    normalized: bool
    status: str
    error: str
    thumbnail: bool
    emoji: str
    color: str
    uploader: str
    tags: tuple[str, ...]
    cooldown_until: str  # ISO time while the sound is cooling down, else ""

    @property
    def type_label(self) -> str:
        return str(TYPE_LABELS.get(self.type, self.type))


class Tail(NamedTuple):
    id: int
    name: str
    favorite: bool
    editable: bool


# What the board reads of each sound (`values_list`: no model instances for a page of cards).
COLUMNS = (
    "id",
    "type",
    "name",
    "duration",
    "play_count",
    "is_normalized",
    "normalization_status",
    "normalization_error",
    "thumbnail",
    "emoji",
    "color",
    "next_play_at",
    "uploaded_by_id",
    "uploaded_by__name",
    "uploaded_by__email",
)


class Row(NamedTuple):
    """One sound as the board reads it (`Sound.objects.values_list(*COLUMNS)` plus its tags)."""

    head: Head
    uploaded_by_id: int | None


def rows(values: Iterable[tuple[Any, ...]], tags: dict[int, list[str]], now: datetime) -> list[Row]:
    """Board rows from `values_list(*COLUMNS)` tuples and each sound's tag names."""
    found = []
    for value in values:
        v = dict(zip(COLUMNS, value, strict=True))
        by_id = v["uploaded_by_id"]
        uploader = (v["uploaded_by__name"] or (v["uploaded_by__email"] or "").split("@")[0]) if by_id else ""
        next_at = v["next_play_at"]
        head = Head(
            id=v["id"],
            type=v["type"],
            name=v["name"],
            duration=v["duration"],
            plays=v["play_count"],
            normalized=v["is_normalized"],
            status=v["normalization_status"],
            error=v["normalization_error"],
            thumbnail=bool(v["thumbnail"]),
            emoji=v["emoji"],
            color=v["color"],
            uploader=uploader,
            tags=tuple(tags.get(v["id"], ())),
            cooldown_until=next_at.isoformat() if next_at is not None and next_at > now else "",
        )
        found.append(Row(head, by_id))
    return found


@functools.cache
def card_urls() -> dict[str, str]:
    """Prefixes of the per-card URLs, to which a card appends its id (reversing per card cost a fifth of a render)."""
    return {
        "play": reverse("player:play", args=[1]).removesuffix("1/"),
        "preview": reverse("api:sound_preview", args=[1]).removesuffix("1/preview"),
        "thumbnail": reverse("api:sound_thumbnail", args=[1]).removesuffix("1/thumbnail"),
        "favorite": reverse("sounds:favorite", args=[1]).removesuffix("1/favorite/"),
        "menu": reverse("sounds:menu", args=[1]).removesuffix("1/menu/"),
        "icons": static("img/icons.svg"),
    }


@functools.lru_cache(maxsize=CACHED_FRAGMENTS)
def _head(head: Head, play_cost: str) -> tuple[str, str]:
    """The head's HTML, split where the viewer's hotkey goes. The price is part of the key: it is a setting."""
    context = {"s": head, "urls": card_urls(), "key_slot": KEY_SLOT, "play_cost": play_cost}
    html = get_template("sounds/_card.html#head").render(context)
    before, _, after = html.partition(KEY_SLOT)
    return before, after


@functools.lru_cache(maxsize=64)
def _key(key: str) -> str:
    return str(get_template("sounds/_card.html#key").render({"key": key}))


@functools.lru_cache(maxsize=CACHED_FRAGMENTS)
def _tail(tail: Tail) -> str:
    return str(get_template("sounds/_card.html#tail").render({"t": tail, "urls": card_urls()}))


def render(cards: Sequence[Row], *, user: Any, favorites: set[int], keys: dict[int, str]) -> SafeString:
    """The cards' HTML for `user`, who starred `favorites` and bound `keys` (sound id → key)."""
    play_cost = cost("play")
    parts: list[str] = []
    for row in cards:
        head = row.head
        before, after = _head(head, play_cost)
        tail = _tail(Tail(head.id, head.name, head.id in favorites, may_edit(user, row.uploaded_by_id)))
        parts += (before, _key(keys[head.id]) if head.id in keys else "", after, tail)
    # Every fragment came out of an autoescaping template.
    return mark_safe("".join(parts))  # noqa: S308


def star(sound: Sound, *, favorite: bool) -> SafeString:
    """A card's star as it now is, swapped in place after a press (the same markup as in the tail)."""
    tail = Tail(sound.pk, sound.name, favorite, False)
    html = get_template("sounds/_card.html#star").render({"t": tail, "urls": card_urls(), "oob": True})
    return mark_safe(html)  # noqa: S308
