"""What the board needs beyond the library itself: its filters, favourites and tags.

Shared by the page (sounds.views), the JSON API (sounds.api) and random play (player), so a filter means the
same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count

from core.errors import UserError
from sounds.models import Favorite, Sound, SoundQuerySet, SoundType
from sounds.tags import Tag

VALID_TYPES = frozenset(t.value for t in SoundType)
MAX_ID = 2**63 - 1  # database ids are 64-bit: a larger one is no sound, not an overflow


def _visible(user: Any, sound_id: int) -> Sound | None:
    return Sound.objects.visible_to(user).filter(pk=sound_id).first() if 0 < sound_id <= MAX_ID else None


@dataclass(frozen=True)
class Filters:
    q: str = ""
    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    favorites: bool = False

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.types or self.tags or self.favorites)


def filtered(user: Any, filters: Filters) -> SoundQuerySet:
    """The sounds `user` sees on the board under `filters` (unsorted). Unknown types and tags match nothing."""
    qs = Sound.objects.visible_to(user)
    if filters.types:
        qs = qs.of_types([t for t in filters.types if t in VALID_TYPES])
    if filters.tags:
        qs = qs.tagged(filters.tags)
    if filters.favorites:
        qs = qs.favorites_of(user.pk)
    return qs.search(filters.q)


def favorite_ids(user_id: int) -> set[int]:
    """Every sound `user_id` starred: one small query for a page of cards or the whole list (a person stars
    tens or hundreds, never the library; an `IN` over the page's ids would grow with the page instead)."""
    return set(Favorite.objects.filter(user_id=user_id).values_list("sound_id", flat=True))


def tags_in_use() -> list[tuple[str, int]]:
    """Every tag on at least one sound, by name, with how many sounds carry it."""
    qs = Tag.objects.annotate(uses=Count("sounds")).filter(uses__gt=0).order_by("name")
    return list(qs.values_list("name", "uses"))


# --- Favourites ---------------------------------------------------------------------------------------------
def set_favorite(*, user: Any, sound_id: int, on: bool) -> Sound:
    """Star or unstar a sound (both idempotent). 404 when the sound is not there (or vanished meanwhile)."""
    sound = _visible(user, sound_id)
    if sound is None:
        raise UserError("No such sound: it may have just been deleted.", 404)
    if not on:
        Favorite.objects.filter(user_id=user.pk, sound_id=sound_id).delete()
        return sound
    try:
        with transaction.atomic():
            # get_or_create survives a double click (the unique constraint); a sound deleted between the check
            # above and this insert fails its foreign key instead, which is the same 404.
            Favorite.objects.get_or_create(user_id=user.pk, sound_id=sound_id)
    except IntegrityError as exc:
        raise UserError("No such sound: it may have just been deleted.", 404) from exc
    return sound
