"""Quiet hours are managed here: the model's `clean` refuses windows that overlap or end before they start."""

from __future__ import annotations

from django.contrib import admin

from player.models import QuietWindow


@admin.register(QuietWindow)
class QuietWindowAdmin(admin.ModelAdmin[QuietWindow]):
    list_display = ("__str__", "day", "start", "end", "note")
    list_filter = ("day",)
