"""Each room's up-next queue in the database: what its daemon adds and takes, what people reorder and remove.

Adding is paid (`CreditAction.QUEUE_ADD`, priced like starting the music) and runs in the player daemon, where
the player's state is (so a stopped player starts the queue at once); the debit and the row are one
transaction: a refusal (unknown sound, full queue, no credits) charges nothing and adds nothing. Taking the
first item as it starts playing is one DELETE: a row someone removed meanwhile (or whose sound was deleted)
is gone, and the daemon skips it. Reordering and removing are free and touch only positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min

from accounts.models import User
from core.errors import UserError
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from player.machine import Track
from player.models import QueueItem, QueueItemQuerySet, Room
from sounds.models import Sound


@dataclass(frozen=True)
class Entry:
    """A queue row as pages and the API show it."""

    id: int
    sound_id: int
    name: str
    duration_ms: int
    added_by: str
    added_by_id: int | None
    added_at: datetime


def limit() -> int:
    return int(settings.PLAYER_QUEUE_MAX_ITEMS)


def _of(room: str) -> QueueItemQuerySet:
    return QueueItem.objects.in_room(room)


def entries(room: str) -> list[Entry]:
    rows = _of(room).select_related("sound", "added_by")
    return [
        Entry(
            id=row.pk,
            sound_id=row.sound_id,
            name=row.sound.name,
            duration_ms=row.sound.normalized_duration or row.sound.duration,
            added_by=row.added_by.display_name if row.added_by else "someone",
            added_by_id=row.added_by_id,
            added_at=row.added_at,
        )
        for row in rows
    ]


def tracks(room: str) -> list[Track]:
    """The room's queue as the state machine's tracks (with the file to play). Its daemon calls it."""
    found = []
    for row in _of(room).select_related("sound"):
        path = row.sound.playable_path()
        duration = row.sound.normalized_duration or row.sound.duration
        found.append(Track(row.sound_id, row.sound.name, duration, str(path) if path else "", item_id=row.pk))
    return found


def add(*, room: str, user_id: int, sound_id: int, first: bool) -> tuple[CreditTransaction, int]:
    """Debit the add and put the sound first or last in `room`'s queue, together or not at all. Runs in the room's
    daemon, one at a time."""
    with transaction.atomic():
        sound = Sound.objects.filter(pk=sound_id).first()
        if sound is None:
            raise UserError("That sound no longer exists, so it was not queued and nothing was charged.", 404)
        if sound.playable_path() is None:
            raise UserError(
                f"The file of “{sound.name}” is missing, so it was not queued; ask an admin to rescan.", 404
            )
        if _of(room).count() >= limit():
            raise UserError(f"The queue is full ({limit()} sounds): wait until some have played, then add more.", 413)
        debit = credits.debit(
            user_id=user_id,
            amount=credits.cost_of(CreditAction.QUEUE_ADD),
            action=CreditAction.QUEUE_ADD,
            metadata={
                "sound_id": sound.pk, "sound_name": sound.name, "where": "next" if first else "last", "room": room,
            },
        )  # fmt: skip
        ends = _of(room).aggregate(low=Min("position"), high=Max("position"))
        if first:
            position = (ends["low"] if ends["low"] is not None else 1) - 1
        else:
            position = (ends["high"] if ends["high"] is not None else -1) + 1
        item = QueueItem.objects.create(room=Room.ensure(room), sound=sound, added_by_id=user_id, position=position)
    return debit, item.pk


def undo_add(debit: CreditTransaction, item_id: int) -> None:
    """The daemon could not act on an add in time: the row goes and the credit comes back."""
    with transaction.atomic():
        QueueItem.objects.filter(pk=item_id).delete()
        credits.refund(debit, reason="the player was too slow to queue it")


def take(item_id: int) -> bool:
    """The item starts playing: its row goes. False when it was already gone (removed, or its sound deleted)."""
    deleted, _ = QueueItem.objects.filter(pk=item_id).delete()
    return bool(deleted)


def move(*, room: str, item_id: int, up: bool) -> None:
    """Swap an item with its neighbour (the accessible way to reorder, and what the buttons do)."""
    with transaction.atomic():
        ids = list(_of(room).values_list("pk", flat=True))
        if item_id not in ids:
            raise UserError("That sound has left the queue already (it played, or was removed).", 404)
        index = ids.index(item_id)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(ids):
            return  # already first or last
        ids[index], ids[other] = ids[other], ids[index]
        _renumber(ids)


def reorder(*, room: str, ids: list[int]) -> None:
    """Put the listed items in this order (drag and drop). Items that left meanwhile are ignored; items the
    list misses (added meanwhile) keep their order after the listed ones."""
    with transaction.atomic():
        current = list(_of(room).values_list("pk", flat=True))
        present = set(current)
        ordered = [i for i in dict.fromkeys(ids) if i in present]  # the first mention of an id counts
        listed = set(ordered)
        ordered += [i for i in current if i not in listed]
        _renumber(ordered)


def _renumber(ids: list[int]) -> None:
    for position, pk in enumerate(ids):
        QueueItem.objects.filter(pk=pk).update(position=position)


def remove(*, room: str, item_id: int, user: User) -> str:
    """Who added a sound (or staff) may take it out again; nothing is refunded. Returns the sound's name."""
    item = _of(room).select_related("sound").filter(pk=item_id).first()
    if item is None:
        raise UserError("That sound has left the queue already (it played, or was removed).", 404)
    if item.added_by_id != user.pk and not user.is_staff:
        raise UserError("Only whoever queued it, or staff, can take it out.", 403)
    item.delete()
    return item.sound.name
