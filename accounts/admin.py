from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import ApiToken, Plan, User


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    ordering = ("email",)
    list_display = ("email", "name", "plan", "credits", "is_active", "is_staff", "last_login")
    list_filter = ("plan", "is_active", "is_staff")
    list_select_related = ("plan",)
    search_fields = ("email", "name")
    readonly_fields = ("last_login", "date_joined")
    actions = ("disable_users", "enable_users")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "avatar_url")}),
        ("Plan and credits", {"fields": ("plan", "credits")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.action(description="Disable selected users (ends their sessions, sockets and tokens)")
    def disable_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.exclude(pk=request.user.pk or 0):
            services.set_active(user=user, active=False)
            count += 1
        self.message_user(request, f"Disabled {count} user(s).", messages.SUCCESS)

    @admin.action(description="Enable selected users")
    def enable_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.set_active(user=user, active=True)
        self.message_user(request, f"Enabled {queryset.count()} user(s).", messages.SUCCESS)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = ("code", "name", "credits", "max_credits")
    search_fields = ("code", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    search_fields = ("name", "user__email", "prefix")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
