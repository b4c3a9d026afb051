"""What the music player must remember across restarts of the player process."""

from __future__ import annotations

from typing import Any

from django.db import models


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
