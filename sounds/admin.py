from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from sounds import services
from sounds.models import Scan, Sound, SoundPlayed, TtsJob


@admin.register(Sound)
class SoundAdmin(admin.ModelAdmin[Sound]):
    list_display = (
        "name", "type", "duration", "play_count", "is_normalized", "normalization_status", "normalization_mode",
        "created_at",
    )  # fmt: skip
    list_filter = ("type", "is_normalized", "normalization_status", "normalization_mode")
    search_fields = ("name", "search_name", "filename", "hash")
    # File names are made by the server (upload, scan, extraction) and must never be typed in: one edited to
    # `../../.env` would turn the download URL into a way to read any file.
    readonly_fields = (
        "filename", "thumbnail", "search_name", "hash", "size", "duration", "file_mtime", "normalized_filename",
        "normalized_duration", "normalized_size", "normalized_hash", "loudness_i", "loudness_tp", "loudness_lra",
        "normalization_mode", "normalization_error", "normalization_status", "normalization_claim",
        "normalization_attempts", "normalization_heartbeat_at", "created_at", "updated_at",
    )  # fmt: skip
    list_select_related = ("uploaded_by",)
    actions = ("normalize_selected", "force_normalize_selected", "delete_with_files")

    @admin.action(description="Normalize selected sounds")
    def normalize_selected(self, request: HttpRequest, queryset: QuerySet[Sound]) -> None:
        ids = list(queryset.filter(is_normalized=False).values_list("pk", flat=True))
        services.queue_normalization(ids, user_id=request.user.pk)
        self.message_user(request, f"Queued {len(ids)} sound(s) for normalization.", messages.SUCCESS)

    @admin.action(description="Force re-normalize selected sounds")
    def force_normalize_selected(self, request: HttpRequest, queryset: QuerySet[Sound]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        services.queue_normalization(ids, force=True, user_id=request.user.pk)
        self.message_user(request, f"Queued {len(ids)} sound(s) for re-normalization.", messages.SUCCESS)

    @admin.action(description="Delete selected sounds and their files")
    def delete_with_files(self, request: HttpRequest, queryset: QuerySet[Sound]) -> None:
        count = services.delete_sounds(queryset)
        self.message_user(request, f"Deleted {count} sound(s) and their files.", messages.SUCCESS)


@admin.register(SoundPlayed)
class SoundPlayedAdmin(admin.ModelAdmin[SoundPlayed]):
    list_display = ("sound", "user", "source", "played_at")
    list_filter = ("source", "played_at")
    search_fields = ("sound__name", "user__email")
    list_select_related = ("sound", "user")
    raw_id_fields = ("sound", "user")
    date_hierarchy = "played_at"


@admin.register(TtsJob)
class TtsJobAdmin(admin.ModelAdmin[TtsJob]):
    """Read-only: the job's state moves only by the claims in sounds.speech (a hand edit could pay twice)."""

    list_display = ("text", "user", "voice", "status", "attempts", "error", "created_at")
    list_filter = ("status",)

    def has_change_permission(self, request: HttpRequest, obj: TtsJob | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Scan)
class ScanAdmin(admin.ModelAdmin[Scan]):
    list_display = ("pk", "status", "started_by", "attempts", "error", "created_at", "updated_at")
    list_filter = ("status",)

    def has_change_permission(self, request: HttpRequest, obj: Scan | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
