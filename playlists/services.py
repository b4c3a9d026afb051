"""Playlist workflows: every change keeps positions 0..n-1 and tells other browsers and the player."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from accounts.models import User
from core.errors import UserError
from live import events
from live.contexts import PlaylistChanged
from player import client as commands
from playlists.models import Playlist, PlaylistSound
from sounds.models import Sound


class PlaylistError(UserError):
    pass


def main_playlist() -> Playlist:
    playlist, _ = Playlist.objects.get_or_create(is_main=True, defaults={"name": "Main playlist"})
    return playlist


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PlaylistError("Give the playlist a name.")
    if len(name) > 100:
        raise PlaylistError("A playlist name has at most 100 characters.")
    return name


def _changed(playlist: Playlist) -> None:
    """Other browsers refresh the playlist; the player reloads it if it is the current one."""
    playlist_id = playlist.pk

    def notify() -> None:
        events.broadcast(PlaylistChanged(playlist_id=playlist_id))

        commands.playlist_changed(playlist_id)

    transaction.on_commit(notify)


def create_playlist(*, owner: User, name: str, description: str = "") -> Playlist:
    """A new playlist of `owner`, refused (409) past PLAYLISTS_PER_USER."""
    name = _clean_name(name)
    cap = settings.PLAYLISTS_PER_USER
    with transaction.atomic():
        # Lock the owner's row (SQLite's IMMEDIATE transactions already serialize writers): two tabs creating at
        # the same moment can't both count below the cap.
        list(User.objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True))
        if Playlist.objects.filter(owner=owner).count() >= cap:
            raise PlaylistError(
                f"You already have {cap} playlists, the most one person may keep; delete one first.", 409
            )
        return Playlist.objects.create(owner=owner, name=name, description=description.strip()[:1000])


def update_playlist(*, playlist: Playlist, name: str, description: str | None = None) -> Playlist:
    playlist.name = _clean_name(name)
    if description is not None:
        playlist.description = description.strip()[:1000]
    playlist.save()
    _changed(playlist)
    return playlist


def delete_playlist(*, playlist: Playlist) -> None:
    if playlist.is_main:
        raise PlaylistError("The main playlist cannot be deleted.", 409)
    playlist_id = playlist.pk
    playlist.delete()

    def notify() -> None:
        events.broadcast(PlaylistChanged(playlist_id=playlist_id))

        commands.playlist_deleted(playlist_id)

    transaction.on_commit(notify)


def add_sound(*, playlist: Playlist, sound_id: int) -> PlaylistSound:
    sound = Sound.objects.filter(pk=sound_id).first()
    if sound is None:
        raise PlaylistError("No such sound.", 404)
    cap = settings.PLAYLIST_MAX_ITEMS
    with transaction.atomic():
        # The playlist's row lock makes "count, then add" one step for concurrent adds (see create_playlist).
        list(Playlist.objects.select_for_update().filter(pk=playlist.pk).values_list("pk", flat=True))
        if playlist.items.count() >= cap:
            raise PlaylistError(f"“{playlist.name}” already has {cap} entries, the most a playlist may hold.", 409)
        last = playlist.items.aggregate(m=Max("position"))["m"]
        item = PlaylistSound.objects.create(playlist=playlist, sound=sound, position=0 if last is None else last + 1)
    _changed(playlist)
    return item


def tracks_of(playlist_id: int | None) -> list[dict[str, Any]]:
    """The tracks as the music player numbers them (the player publishes only their version, not the list)."""
    if playlist_id is None:
        return []
    items = PlaylistSound.objects.filter(playlist_id=playlist_id).select_related("sound").order_by("position", "id")
    return [
        {
            "index": index,
            "sound_id": item.sound_id,
            "name": item.sound.name,
            "duration_ms": item.sound.normalized_duration or item.sound.duration,
        }
        for index, item in enumerate(items)
    ]


def _renumber(playlist: Playlist, ordered_ids: list[int]) -> None:
    items = {i.pk: i for i in playlist.items.all()}
    for position, item_id in enumerate(ordered_ids):
        items[item_id].position = position
    PlaylistSound.objects.bulk_update(list(items.values()), ["position"])


def remove_item(*, playlist: Playlist, item_id: int) -> None:
    with transaction.atomic():
        deleted, _ = playlist.items.filter(pk=item_id).delete()
        if not deleted:
            raise PlaylistError("That entry is not in this playlist.", 404)
        _renumber(playlist, list(playlist.items.order_by("position", "id").values_list("pk", flat=True)))
    _changed(playlist)


def reorder(*, playlist: Playlist, item_ids: list[int]) -> None:
    """Put the entries in the given order; the list must name each entry exactly once."""
    with transaction.atomic():
        current = list(playlist.items.values_list("pk", flat=True))
        if sorted(current) != sorted(item_ids) or len(set(item_ids)) != len(item_ids):
            raise PlaylistError("The new order must list every entry of the playlist exactly once.", 400)
        _renumber(playlist, item_ids)
    _changed(playlist)


def move(*, playlist: Playlist, item_id: int, offset: int) -> None:
    order = list(playlist.items.order_by("position", "id").values_list("pk", flat=True))
    if item_id not in order:
        raise PlaylistError("That entry is not in this playlist.", 404)
    index = order.index(item_id)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    reorder(playlist=playlist, item_ids=order)
