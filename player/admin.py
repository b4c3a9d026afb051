"""Rooms and quiet hours are managed here: the model's `clean` refuses windows that overlap or end before they
start; a room whose player is online (or `main`) can't be deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from player import client
from player.models import QuietWindow, Room


@admin.register(QuietWindow)
class QuietWindowAdmin(admin.ModelAdmin[QuietWindow]):
    list_display = ("__str__", "room", "day", "start", "end", "note")
    list_filter = ("room", "day")


def undeletable(room: Room) -> str:
    """Why `room` can't be deleted now, or "" when it can."""
    if room.is_default:
        return "“main” is where everyone plays until they choose a room; it can't be deleted."
    if client.is_online(room.slug):
        return (
            f"The player of room “{room.slug}” is running: stop it first (its heartbeat expires a few seconds "
            "after), then delete the room."
        )
    return ""


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin[Room]):
    list_display = ("slug", "name", "default_volume", "online", "created_at")
    search_fields = ("slug", "name")
    readonly_fields = ("created_at",)
    # One room at a time, through delete_view's check: the bulk action would delete rooms whose player runs.
    actions = None

    @admin.display(boolean=True)
    def online(self, room: Room) -> bool:
        return client.is_online(room.slug)

    def get_readonly_fields(self, request: HttpRequest, obj: Room | None = None) -> tuple[str, ...]:
        # The slug names the room's channel and keys, which its running player already uses: fixed once made.
        return ("slug", "created_at") if obj is not None else ("created_at",)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        room = self.get_object(request, object_id)
        reason = undeletable(room) if room is not None else ""
        if reason:
            self.message_user(request, reason, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:player_room_change", args=[room.pk] if room else []))
        return super().delete_view(request, object_id, extra_context)
