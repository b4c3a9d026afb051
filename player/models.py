"""Rooms, and what each room's music player must remember across restarts of its player process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from player.protocol import DEFAULT_ROOM, DEFAULT_VOLUME, MAX_ROOM_SLUG, MAX_VOLUME, ROOM_SLUG_HELP, ROOM_SLUG_PATTERN

slug_validator = RegexValidator(ROOM_SLUG_PATTERN, ROOM_SLUG_HELP)


class Room(models.Model):
    """A place with speakers: one player process (`manage.py run_player --room SLUG`) plays there.

    Each room has its own instant plays, music player, up-next queue and quiet hours. `main` is the room of a
    player started without `--room`, and where everyone plays until they choose another.
    """

    slug = models.CharField(
        max_length=MAX_ROOM_SLUG, unique=True, validators=[slug_validator], help_text=ROOM_SLUG_HELP
    )
    name = models.CharField(max_length=60)
    default_volume = models.PositiveSmallIntegerField(
        default=DEFAULT_VOLUME,
        validators=[MaxValueValidator(MAX_VOLUME)],
        help_text="The music's volume the first time this room's player starts (then it keeps its own).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            # The form's validator says why; this keeps a slug the channel layer can't carry out of the table.
            models.CheckConstraint(condition=Q(slug__regex=ROOM_SLUG_PATTERN), name="room_slug_valid"),
        ]

    def __str__(self) -> str:
        return self.name if self.name == self.slug else f"{self.name} ({self.slug})"

    @property
    def is_default(self) -> bool:
        return self.slug == DEFAULT_ROOM

    @classmethod
    def ensure(cls, slug: str) -> Room:
        """The room, made (named after its slug) when missing: a player started for a new slug creates its room,
        and one whose room was deleted under it puts it back rather than write rows that belong nowhere."""
        room, _ = cls.objects.get_or_create(slug=slug, defaults={"name": "Main" if slug == DEFAULT_ROOM else slug})
        return room


class ChosenRoom(models.Model):
    """The room a person plays to when they don't name one. A row of its own (not a field on the user) so that
    `player` needs nothing from `accounts`; no row, or its room deleted, means `main`."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.room_id}"


class SavedPlayerState(models.Model):
    """One row per room: its music player's mode, volume, playlist and position in it."""

    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="+")
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"player state of room {self.room_id} ({self.updated_at:%Y-%m-%d %H:%M})"

    @classmethod
    def load(cls, room: str) -> dict[str, Any]:
        row = cls.objects.filter(room__slug=room).first()
        return dict(row.state) if row else {}

    @classmethod
    def store(cls, room: str, state: dict[str, Any]) -> None:
        cls.objects.update_or_create(room=Room.ensure(room), defaults={"state": state})


WEEKDAYS = [
    (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"), (6, "Sunday"),
]  # fmt: skip


class QuietWindow(models.Model):
    """A weekly stretch of a day, in the site's TIME_ZONE, when instant plays and music are refused (staff's
    still go through).

    A window lies within one day: `end` 00:00 means midnight at the end of `day`, and a night is two windows
    (Monday 22:00-00:00 and Tuesday 00:00-07:00), which are read as one when saying until when it is quiet.
    A window belongs to one room, or to every room when `room` is empty (a site-wide rule, e.g. the building's
    night); windows that can apply to the same room at once may not overlap.
    """

    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="quiet_windows",
        help_text="Leave empty for every room.",
    )  # fmt: skip
    day = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField(help_text="In the site's time zone.")
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")
    note = models.CharField(max_length=100, blank=True, help_text="Why, for the people who see the banner.")

    class Meta:
        ordering = ["day", "start"]
        verbose_name = "quiet hours window"

    def __str__(self) -> str:
        where = f" in {self.room}" if self.room_id is not None and self.room else ""
        return f"{self.get_day_display()} {self.start:%H:%M}-{self.end:%H:%M}{where}"

    def applies_to(self, room: str) -> bool:
        """Site-wide, or this room's (call on rows read with `select_related("room")`)."""
        return self.room is None or self.room.slug == room

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        """Minutes after the day's midnight; 00:00 as an end is the next midnight (1440)."""
        minutes = self.end.hour * 60 + self.end.minute
        return minutes or 24 * 60

    def clean(self) -> None:
        if self.start is None or self.end is None or self.day is None:
            return  # the fields' own errors say what is missing
        if self.start.second or self.end.second or self.start.microsecond or self.end.microsecond:
            raise ValidationError("Give whole minutes (HH:MM).")
        if self.end_minute <= self.start_minute:
            raise ValidationError(
                {
                    "end": f"The window ends before it starts. A window stays within its day: for a night, add "
                    f"{self.get_day_display()} {self.start:%H:%M}-00:00 and another window from 00:00 on the next day."
                }
            )
        # A site-wide window meets every room's; a room's meets its own room's and the site-wide ones.
        same_rooms = QuietWindow.objects.filter(day=self.day).exclude(pk=self.pk)
        if self.room_id is not None:
            same_rooms = same_rooms.filter(Q(room_id=self.room_id) | Q(room__isnull=True))
        overlapping = [
            other
            for other in same_rooms
            if other.start_minute < self.end_minute and self.start_minute < other.end_minute
        ]
        if overlapping:
            raise ValidationError(f"It overlaps {overlapping[0]}: change that window instead, or pick other times.")


class QueueItemQuerySet(models.QuerySet["QueueItem"]):
    def in_room(self, room: str) -> QueueItemQuerySet:
        return self.filter(room__slug=room)


class QueueItem(models.Model):
    """One sound in the shared up-next list, played ahead of the playlist's next track.

    The player daemon deletes the row as the sound starts (a row it cannot delete was removed meanwhile: skipped).
    Each room has its own queue. A deleted sound (or room) takes its rows with it.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    sound = models.ForeignKey("sounds.Sound", on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    position = models.IntegerField(db_index=True)
    added_at = models.DateTimeField(auto_now_add=True)

    objects = QueueItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"queue #{self.position}: sound {self.sound_id}"


# Every page's room switcher and the feed's room names read the rooms from the cache, dropped when a room changes.
ROOMS_CACHE_KEY = "player:rooms"


@receiver([post_save, post_delete], sender=Room)
def _forget_rooms(**kwargs: object) -> None:
    cache.delete(ROOMS_CACHE_KEY)


# Every page and every play asks whether it is quiet: the windows are cached, and dropped on any change (the
# admin's bulk delete too, which sends post_delete for each row).
QUIET_CACHE_KEY = "player:quiet-windows"


@receiver([post_save, post_delete], sender=QuietWindow)
def _forget_quiet_windows(**kwargs: object) -> None:
    cache.delete(QUIET_CACHE_KEY)
