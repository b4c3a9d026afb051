"""The board's tag chips (the filter form's "Tags"), drawn once per change of the tags, not on every page.

Counting every tag's sounds took milliseconds on a large library, and drawing its 200 chips about as long again,
on every board page. The chips are now rendered once per (version of the tags, chosen tags) in each process. The
version is a random token in the shared cache, replaced when a tag is saved or deleted, a sound's tags change or
a sound is deleted: every web process sees the new token on its next page. It is replaced at the change and
again once it commits, so a page drawn in between, from the data before the commit, is not kept.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from sounds import browse
from sounds.models import Sound
from sounds.tags import Tag

VERSION_KEY = "sounds:tags-version"


def version() -> str:
    found = cache.get(VERSION_KEY)
    if found is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)  # another process may have just set one: theirs wins
        found = cache.get(VERSION_KEY)
    return str(found)


def _new_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def tags_changed(**kwargs: Any) -> None:
    if str(kwargs.get("action", "post_")).startswith("pre_"):
        return  # m2m_changed says it twice: before and after
    _new_version()
    transaction.on_commit(_new_version)


@functools.lru_cache(maxsize=4)
def _choices(token: str) -> tuple[tuple[str, int], ...]:
    return tuple(browse.tags_in_use())


@functools.lru_cache(maxsize=256)
def _chips(token: str, chosen: tuple[str, ...]) -> str:
    context = {"tag_choices": _choices(token), "filters": {"tags": chosen}}
    return str(get_template("sounds/library.html#tag_filter").render(context))


def chips(chosen: Sequence[str]) -> SafeString:
    """The tag filter's HTML with `chosen` ticked (nothing when no sound has a tag)."""
    # From an autoescaping template.
    return mark_safe(_chips(version(), tuple(chosen)))  # noqa: S308


def connect() -> None:
    """Called once, when the app is ready."""
    m2m_changed.connect(tags_changed, sender=Sound.tags.through, dispatch_uid="sounds.tagfilter.links")
    post_save.connect(tags_changed, sender=Tag, dispatch_uid="sounds.tagfilter.tag_saved")
    post_delete.connect(tags_changed, sender=Tag, dispatch_uid="sounds.tagfilter.tag_deleted")
    post_delete.connect(tags_changed, sender=Sound, dispatch_uid="sounds.tagfilter.sound_deleted")
