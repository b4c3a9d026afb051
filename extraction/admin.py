from __future__ import annotations

from django.contrib import admin

from extraction.models import Extraction


@admin.register(Extraction)
class ExtractionAdmin(admin.ModelAdmin[Extraction]):
    list_display = ("id", "title", "service", "status", "stage", "progress", "attempts", "user", "created_at")
    list_filter = ("status", "service")
    search_fields = ("url", "title", "service_id", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user", "sound")
