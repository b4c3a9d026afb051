"""A sound's optional face on the board: one emoji or a #rrggbb colour (the uploader's or staff's choice)."""

from __future__ import annotations

import re
import unicodedata

from core.errors import UserError

MAX_EMOJI_LENGTH = 16  # code points: a family or a flag with its modifiers fits; a sentence does not
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ZWJ = "\u200d"
_VARIATION = {"\ufe0e", "\ufe0f"}
_KEYCAP = "\u20e3"


def _is_modifier(c: str) -> bool:
    # Skin tones (U+1F3FB-F) and tag characters (flags of regions, U+E0020-7F) change the emoji before them.
    return 0x1F3FB <= ord(c) <= 0x1F3FF or 0xE0020 <= ord(c) <= 0xE007F


def _is_regional(c: str) -> bool:
    return 0x1F1E6 <= ord(c) <= 0x1F1FF


def clean_emoji(raw: str) -> str:
    """ "" or exactly one emoji (a ZWJ sequence, a flag, a keycap, a skin tone count as one), else a UserError."""
    text = raw.strip()
    if not text:
        return ""
    refusal = UserError("Choose one emoji (or leave it empty).")
    if len(text) > MAX_EMOJI_LENGTH:
        raise refusal
    bases = 0
    joined = False
    regional = 0
    for i, c in enumerate(text):
        if c == _ZWJ:
            joined = True
            continue
        if c in _VARIATION or _is_modifier(c) or c == _KEYCAP:
            if i == 0:
                raise refusal
            continue
        if _is_regional(c):
            # Two regional indicators make one flag.
            regional += 1
            if regional % 2 == 0:
                continue
        elif not (unicodedata.category(c) == "So" or (c in "#*0123456789" and _KEYCAP in text)):
            raise refusal
        if joined:
            joined = False  # joined to the one before: part of the same emoji
            continue
        bases += 1
    if bases != 1 or joined:
        raise refusal
    return text


def clean_color(raw: str) -> str:
    """ "" or a colour as #rrggbb (lower-case), else a UserError."""
    text = raw.strip()
    if not text:
        return ""
    if not _COLOR.match(text):
        raise UserError("A colour is written #rrggbb, for example #3366ff.")
    return text.lower()
