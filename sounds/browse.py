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


def favorite_ids(user_id: int, among: list[int] | None = None) -> set[int]:
    """The sounds `user_id` starred (of `among` only, when given: a page of cards asks about its own sixty, not
    the hundreds a person may have starred)."""
    qs = Favorite.objects.filter(user_id=user_id)
    if among is not None:
        qs = qs.filter(sound_id__in=among)
    return set(qs.values_list("sound_id", flat=True))


def tag_names(sound_ids: list[int]) -> dict[int, list[str]]:
    """Each of these sounds' tag names, by name: one query for a page of cards."""
    found: dict[int, list[str]] = {}
    links = Sound.tags.through.objects.filter(sound_id__in=sound_ids).order_by("tag__name")
    for sound_id, name in links.values_list("sound_id", "tag__name"):
        found.setdefault(sound_id, []).append(name)
    return found


def visible_sound(user: Any, sound_id: int) -> Sound:
    """The sound, if `user` sees it on the board; else a 404 refusal."""
    sound = _visible(user, sound_id)
    if sound is None:
        raise UserError("No such sound: it may have just been deleted.", 404)
    return sound


def tags_in_use() -> list[tuple[str, int]]:
    """Every tag on at least one sound, by name, with how many sounds carry it."""
    qs = Tag.objects.annotate(uses=Count("sounds")).filter(uses__gt=0).order_by("name")
    return list(qs.values_list("name", "uses"))


# --- Favourites ---------------------------------------------------------------------------------------------
def set_favorite(*, user: Any, sound_id: int, on: bool) -> Sound:
    """Star or unstar a sound (both idempotent). 404 when the sound is not there (or vanished meanwhile)."""
    sound = visible_sound(user, sound_id)
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
