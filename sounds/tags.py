"""Tags and the rules for their names (shared by the model, the page's form and the API's schema).

A tag is one short label, stored lower-case so "Memes" and "memes" are one tag: what a filter chip shows and
what `?tags=` matches.
"""

from __future__ import annotations

import re

from django.db import models

from core.errors import UserError

MAX_TAG_LENGTH = 32
MAX_TAGS_PER_SOUND = 10
# Letters and digits of any script, with spaces, hyphens, underscores and apostrophes inside: no markup, no
# punctuation that would need escaping in a URL or read as an operator.
# What a filter asks for when given something that can't be a tag: no tag has this name (clean_tag refuses "<"),
# so the filter matches nothing, as an unknown type does.
NO_TAG = "<none>"
_TAG = re.compile(r"^[^\W_](?:[\w' -]*[^\W_])?$")


class Tag(models.Model):
    name = models.CharField(max_length=MAX_TAG_LENGTH, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def clean_tag(raw: str) -> str:
    """One tag as stored (trimmed, inner spaces folded, lower-case), or a UserError (400) saying what is wrong."""
    name = " ".join(str(raw).split()).lower()
    if not name:
        raise UserError("A tag can't be empty.")
    if len(name) > MAX_TAG_LENGTH:
        raise UserError(f"A tag has at most {MAX_TAG_LENGTH} characters; “{name[:40]}…” is longer.")
    if not _TAG.match(name):
        raise UserError(f"“{name}” is not a tag: use letters, digits, spaces, hyphens, underscores and apostrophes.")
    return name


def clean_tags(raw: list[str]) -> list[str]:
    """A sound's whole set of tags, cleaned, duplicates dropped, in the order given (at most MAX_TAGS_PER_SOUND)."""
    if len(raw) > MAX_TAGS_PER_SOUND * 4:
        # Judge the count before cleaning each one: a thousand-tag list is refused without a thousand regexes.
        raise UserError(f"A sound has at most {MAX_TAGS_PER_SOUND} tags.")
    names = list(dict.fromkeys(clean_tag(t) for t in raw))
    if len(names) > MAX_TAGS_PER_SOUND:
        raise UserError(f"A sound has at most {MAX_TAGS_PER_SOUND} tags.")
    return names


def split_tags(text: str) -> list[str]:
    """What a person types in one field ("memes, star wars, ") as a list; blank parts (a trailing comma) drop."""
    return [part for part in text.split(",") if part.strip()]
