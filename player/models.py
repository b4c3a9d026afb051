"""What the music player must remember across restarts of the player process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver


class SavedPlayerState(models.Model):
    """A single row: the music player's mode, volume, playlist and position in it."""

    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"player state ({self.updated_at:%Y-%m-%d %H:%M})"

    @classmethod
    def load(cls) -> dict[str, Any]:
        row = cls.objects.filter(pk=1).first()
        return dict(row.state) if row else {}

    @classmethod
    def store(cls, state: dict[str, Any]) -> None:
        cls.objects.update_or_create(pk=1, defaults={"state": state})


WEEKDAYS = [
    (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"), (6, "Sunday"),
]  # fmt: skip


class QuietWindow(models.Model):
    """A weekly stretch of a day, in the site's TIME_ZONE, when instant plays and music are refused (staff's
    still go through).

    A window lies within one day: `end` 00:00 means midnight at the end of `day`, and a night is two windows
    (Monday 22:00-00:00 and Tuesday 00:00-07:00), which are read as one when saying until when it is quiet.
    Rooms will each have their own windows: a room key then joins `day` in the overlap check, nothing else moves.
    """

    day = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField(help_text="In the site's time zone.")
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")
    note = models.CharField(max_length=100, blank=True, help_text="Why, for the people who see the banner.")

    class Meta:
        ordering = ["day", "start"]
        verbose_name = "quiet hours window"

    def __str__(self) -> str:
        return f"{self.get_day_display()} {self.start:%H:%M}-{self.end:%H:%M}"

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
        overlapping = [
            other
            for other in QuietWindow.objects.filter(day=self.day).exclude(pk=self.pk)
            if other.start_minute < self.end_minute and self.start_minute < other.end_minute
        ]
        if overlapping:
            raise ValidationError(f"It overlaps {overlapping[0]}: change that window instead, or pick other times.")


class QueueItem(models.Model):
    """One sound in the shared up-next list, played ahead of the playlist's next track.

    The player daemon deletes the row as the sound starts (a row it cannot delete was removed meanwhile: skipped).
    A deleted sound takes its rows with it. With rooms, each room's queue gets a room key; nothing else moves.
    """

    sound = models.ForeignKey("sounds.Sound", on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    position = models.IntegerField(db_index=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"queue #{self.position}: sound {self.sound_id}"


# Every page and every play asks whether it is quiet: the windows are cached, and dropped on any change (the
# admin's bulk delete too, which sends post_delete for each row).
QUIET_CACHE_KEY = "player:quiet-windows"


@receiver([post_save, post_delete], sender=QuietWindow)
def _forget_quiet_windows(**kwargs: object) -> None:
    cache.delete(QUIET_CACHE_KEY)
