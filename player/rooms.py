"""Which room a request means, the room each person chose, and how every room's player is doing.

A request names its room with `?room=SLUG` (the API) or not at all: then it is the person's chosen room
(`ChosenRoom`), else `main`. A malformed or empty slug is a 400 with the reason, a well-formed unknown one a 404,
so a typo never lands a paid play in another room. `*` (every online room) is a staff announcement, accepted
only where the caller says it may be (instant plays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError

from accounts.models import User
from core.errors import UserError
from live import events
from live.contexts import RoomsChanged
from player import client
from player.models import ROOMS_CACHE_KEY, ChosenRoom, Room, slug_validator
from player.protocol import ALL_ROOMS, DEFAULT_ROOM, Heartbeat, PlayingClip, PublishedState


class RoomError(UserError):
    pass


def check_slug(raw: str) -> str:
    """`raw` as a room slug, or a 400 that says what a slug looks like."""
    if raw == "":
        raise RoomError(
            "The room is empty: give a room's slug (?room=main), or leave `room` out to use the room you chose.", 400
        )
    try:
        slug_validator(raw)
    except ValidationError as exc:
        shown = raw if len(raw) <= 40 else f"{raw[:40]}…"
        raise RoomError(f"“{shown}” is not a room: {exc.messages[0]}", 400) from exc
    return raw


def get(slug: str) -> Room:
    """The room (404 when there is none by that slug). `main` always exists: it is made when missing."""
    check_slug(slug)
    if slug == DEFAULT_ROOM:
        return Room.ensure(DEFAULT_ROOM)
    room = Room.objects.filter(slug=slug).first()
    if room is None:
        raise RoomError(f"There is no room “{slug}” (GET /api/v1/rooms lists them).", 404)
    return room


def chosen(user: User) -> Room:
    """The room `user` plays to when they don't name one: their choice, else `main`."""
    choice = ChosenRoom.objects.filter(user_id=user.pk).select_related("room").first()
    return choice.room if choice is not None else Room.ensure(DEFAULT_ROOM)


def chosen_slug(user: User) -> str:
    """`chosen(user).slug` in one indexed query: every play and player command without ?room= asks it, the
    refused ones too (a flood of them must stay cheap)."""
    slug = ChosenRoom.objects.filter(user_id=user.pk).values_list("room__slug", flat=True).first()
    return slug or DEFAULT_ROOM


def choose(*, user: User, slug: str) -> Room:
    """Remember `slug` as `user`'s room (400 malformed, 404 unknown); `user`'s open pages follow it from now on."""
    room = get(slug)
    ChosenRoom.objects.update_or_create(user_id=user.pk, defaults={"room": room})
    events.follow_room(user.pk, room.slug)
    return room


def _rows() -> list[tuple[str, str, int]]:
    """Every room's slug, name and default volume, cached (dropped on any change to a room): every page's room
    switcher and each play in the feed ask."""
    found: list[tuple[str, str, int]] | None = cache.get(ROOMS_CACHE_KEY)
    if found is None:
        found = list(Room.objects.order_by("slug").values_list("slug", "name", "default_volume"))
        cache.set(ROOMS_CACHE_KEY, found, 300)
    return found


def names() -> dict[str, str]:
    """Every room's name by slug (cached)."""
    return {slug: name for slug, name, _ in _rows()}


def label(slug: str | None, known: Mapping[str, str]) -> str:
    """The room's name (`known`: `names()`) where people should be told which room (the feed): "" while there is
    only one room."""
    if not slug or len(known) < 2:
        return ""
    return known.get(slug, slug)


def resolve(*, user: User, requested: str | None, announcement: bool = False) -> str:
    """The slug of the room a request means: `requested` (checked), else `user`'s chosen room.

    `announcement=True` also accepts `*` (every online room: staff only, which the play itself checks).
    """
    if requested is None:
        return chosen_slug(user)
    if requested == ALL_ROOMS:
        if not announcement:
            raise RoomError("“*” (every room) is for playing a sound in every room; name one room here.", 400)
        return ALL_ROOMS
    return get(requested).slug


@dataclass(frozen=True)
class RoomStatus:
    slug: str
    name: str
    default_volume: int
    online: bool
    heartbeat: Heartbeat | None
    music: PublishedState | None  # None while the player is offline: an offline room plays nothing

    @property
    def last_heartbeat(self) -> datetime | None:
        return datetime.fromtimestamp(self.heartbeat.beat_at, UTC) if self.heartbeat else None

    @property
    def clips(self) -> list[PlayingClip]:
        return list(self.heartbeat.clips) if self.heartbeat else []

    @property
    def now_playing(self) -> str:
        """What a person hears there, in a few words: the clips playing, else the music's track, else ""."""
        if self.clips:
            return ", ".join(f"“{clip.name}”" for clip in self.clips[:3]) + (" …" if len(self.clips) > 3 else "")
        track = self.music.current_track if self.music is not None and self.music.status == "playing" else None
        return f"♪ {track.name}" if track is not None else ""


def statuses() -> list[RoomStatus]:
    """Every room with its player's heartbeat and what it plays (one Redis round trip for the heartbeats)."""
    rooms = _rows()
    beats = client.heartbeats([slug for slug, _, _ in rooms])
    found = []
    for slug, name, default_volume in rooms:
        beat = beats.get(slug)
        found.append(
            RoomStatus(
                slug=slug,
                name=name,
                default_volume=default_volume,
                online=beat is not None,
                heartbeat=beat,
                music=client.state(slug) if beat is not None else None,
            )
        )
    return found


def announce_changes() -> bool:
    """Tell every page when a room's player came or went, and return whether it did.

    A killed player says nothing: its heartbeat just expires. So the beat looks every few seconds
    (`player.watch_rooms`); whichever process looks first after a change announces it, once.
    """
    online = sorted(client.online_rooms())
    if client.swap_online_rooms(online) == online:
        return False
    events.broadcast(RoomsChanged(online=online))
    return True
