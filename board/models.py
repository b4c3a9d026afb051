"""What each person keeps for their own board: hotkeys bound to sounds, and the grid or pad view."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The keys a sound may be bound to: the others are the board's own (/, ?, Esc) or need a modifier.
KEYS = "123456789abcdefghijklmnopqrstuvwxyz"


class Hotkey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hotkeys")
    key = models.CharField(max_length=1)
    # A deleted sound takes its bindings with it: a key never plays something that is gone.
    sound = models.ForeignKey("sounds.Sound", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="hotkey_one_sound_per_key")]

    def __str__(self) -> str:
        return f"{self.key} → sound {self.sound_id}"


class BoardView(models.TextChoices):
    AUTO = "auto", "Pads on phones, cards elsewhere"
    PAD = "pad", "Pads"
    GRID = "grid", "Cards"


class BoardSettings(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_settings")
    view = models.CharField(max_length=8, choices=BoardView.choices, default=BoardView.AUTO)

    def __str__(self) -> str:
        return f"board settings of {self.user_id}"
