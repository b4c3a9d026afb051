"""Playlists for the shared music player."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum

from sounds.models import Sound


class Playlist(models.Model):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=1000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="playlists"
    )
    # The house playlist: always there, never deleted, edited by staff.
    is_main = models.BooleanField(default=False)
    sounds = models.ManyToManyField(Sound, through="PlaylistSound", related_name="playlists")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_main", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["is_main"], condition=Q(is_main=True), name="one_main_playlist")]

    def __str__(self) -> str:
        return self.name

    def can_edit(self, user: models.Model) -> bool:
        return bool(getattr(user, "is_staff", False)) or (self.owner_id is not None and self.owner_id == user.pk)

    def total_duration(self) -> int:
        return int(self.items.aggregate(total=Sum("sound__duration"))["total"] or 0)


class PlaylistSound(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    sound = models.ForeignKey(Sound, on_delete=models.CASCADE, related_name="playlist_items")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["playlist", "position"], name="playlist_item_pos_idx")]

    def __str__(self) -> str:
        return f"{self.playlist_id}#{self.position}: {self.sound_id}"
