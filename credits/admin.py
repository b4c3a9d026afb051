from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from credits.models import CreditTransaction


@admin.register(CreditTransaction)
class CreditTransactionAdmin(admin.ModelAdmin[CreditTransaction]):
    """The ledger is append-only: nobody edits history, not even admins."""

    list_display = ("created_at", "user", "action", "amount", "balance_before", "balance_after", "success")
    list_filter = ("action", "success", "created_at")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
