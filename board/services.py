"""Hotkeys and the board view: binding refusals say which key, which sound, and what to do instead."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from board.models import KEYS, BoardSettings, BoardView, Hotkey
from core.errors import UserError
from sounds.models import Sound

KEY_RULE = "Hotkeys are one key each: 1 to 9 or a to z."


def clean_key(raw: object) -> str:
    key = raw.strip().lower() if isinstance(raw, str) else ""
    if len(key) != 1 or key not in KEYS:
        raise UserError(KEY_RULE, 400)
    return key


def bindings(user: User) -> list[Hotkey]:
    return list(Hotkey.objects.filter(user=user).select_related("sound").only("key", "sound__id", "sound__name"))


def key_map(user: User) -> dict[str, int]:
    """key → sound id, for the board's script."""
    return dict(Hotkey.objects.filter(user=user).values_list("key", "sound_id"))


def _taken(key: str, holder: Hotkey) -> UserError:
    return UserError(f"“{key}” already plays “{holder.sound.name}”: unbind it first, or pick another key.", 409)


def bind(*, user: User, key: object, sound_id: int) -> Hotkey:
    """Bind a free key to a sound (binding it again to the same sound changes nothing)."""
    key = clean_key(key)
    sound = Sound.objects.filter(pk=sound_id).first()
    if sound is None:
        raise UserError("That sound no longer exists, so no key was bound to it.", 404)
    holder = Hotkey.objects.filter(user=user, key=key).select_related("sound").first()
    if holder is not None:
        if holder.sound_id == sound.pk:
            return holder
        raise _taken(key, holder)
    try:
        with transaction.atomic():
            return Hotkey.objects.create(user=user, key=key, sound=sound)
    except IntegrityError:  # the same key bound at the same moment from another tab
        holder = Hotkey.objects.select_related("sound").get(user=user, key=key)
        raise _taken(key, holder) from None


def unbind(*, user: User, key: object) -> str:
    """Free a key; returns the name of the sound it played."""
    key = clean_key(key)
    holder = Hotkey.objects.filter(user=user, key=key).select_related("sound").first()
    if holder is None:
        raise UserError(f"“{key}” is not bound to anything.", 404)
    holder.delete()
    return holder.sound.name


def replace_all(*, user: User, pairs: list[tuple[object, int]]) -> list[Hotkey]:
    """Set every binding at once (the API's PUT): all of them or, on any refusal, none."""
    chosen: dict[str, int] = {}
    for raw, sound_id in pairs:
        key = clean_key(raw)
        if key in chosen:
            raise UserError(f"“{key}” is bound twice: a key plays one sound.", 400)
        chosen[key] = sound_id
    found = set(Sound.objects.filter(pk__in=chosen.values()).values_list("pk", flat=True))
    missing = sorted({sid for sid in chosen.values() if sid not in found})
    if missing:
        raise UserError(f"No sound {missing[0]}: it was deleted, or never existed. Nothing was changed.", 404)
    with transaction.atomic():
        Hotkey.objects.filter(user=user).delete()
        Hotkey.objects.bulk_create([Hotkey(user=user, key=k, sound_id=s) for k, s in chosen.items()])
    return bindings(user)


def view_of(user: User) -> str:
    found = BoardSettings.objects.filter(user=user).values_list("view", flat=True).first()
    return found or BoardView.AUTO


def set_view(*, user: User, view: str) -> None:
    if view not in BoardView.values:
        raise UserError("Choose pads, cards, or automatic.", 400)
    BoardSettings.objects.update_or_create(user=user, defaults={"view": view})
