"""Hotkeys for programs: read them, or set them all at once."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import Field

from board import services
from board.models import Hotkey
from player.protocol import MAX_ID
from web.types import AuthedRequest

router = Router(tags=["hotkeys"])


class HotkeyOut(Schema):
    key: str = Field(description="1-9 or a-z.")
    sound_id: int
    sound_name: str


class HotkeyIn(Schema):
    key: str = Field(max_length=10, description="1-9 or a-z (upper case is read as lower case).")
    sound_id: int = Field(ge=1, le=MAX_ID)


class HotkeysIn(Schema):
    bindings: list[HotkeyIn] = Field(max_length=100)


def _out(found: list[Hotkey]) -> list[HotkeyOut]:
    return [HotkeyOut(key=h.key, sound_id=h.sound_id, sound_name=h.sound.name) for h in found]


@router.get("/hotkeys", response=list[HotkeyOut])
def hotkeys(request: AuthedRequest) -> list[HotkeyOut]:
    """Your hotkeys: on the Soundboard, pressing a key plays its sound (like a click, for the same cost)."""
    return _out(services.bindings(request.user))


@router.put("/hotkeys", response=list[HotkeyOut])
def set_hotkeys(request: AuthedRequest, payload: HotkeysIn) -> list[HotkeyOut]:
    """Replace all your hotkeys. A key given twice is a 400, an unknown sound a 404; either changes nothing."""
    pairs: list[tuple[object, int]] = [(b.key, b.sound_id) for b in payload.bindings]
    return _out(services.replace_all(user=request.user, pairs=pairs))


@router.delete("/hotkeys/{key}", response=list[HotkeyOut])
def unbind(request: AuthedRequest, key: str) -> list[HotkeyOut]:
    """Free one key (404 when it plays nothing)."""
    services.unbind(user=request.user, key=key)
    return _out(services.bindings(request.user))
