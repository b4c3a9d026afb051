from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from accounts import services
from accounts.models import ApiToken, Invite, Plan, User
from core.errors import UserError
from credits.services import InsufficientCredits, adjust

# One way in, with one set of limits: the admin's own login form would check passwords without allauth's
# per-IP and per-account lockout, so it sends everyone to the site's sign-in page (and refuses signed-in
# non-staff instead of looping them back).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # allauth's documented wrap


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.all())


class AdjustCreditsForm(forms.Form):
    amount = forms.IntegerField(help_text="Positive adds, negative removes.", min_value=-100_000, max_value=100_000)
    reason = forms.CharField(max_length=200, help_text="Shown on the user's credit history.")

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Zero changes nothing.")
        return amount


class UserCreateForm(AdminUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    form = UserEditForm
    add_form = UserCreateForm
    ordering = ("email",)
    list_display = ("email", "name", "plan", "credits", "is_active", "is_staff", "last_login")
    list_filter = ("plan", "is_active", "is_staff")
    list_select_related = ("plan",)
    search_fields = ("email", "name")
    # The balance moves only through ledger rows: the "Add or remove credits" action is the way.
    readonly_fields = ("credits", "last_login", "date_joined")
    actions = ("disable_users", "enable_users", "change_plan", "adjust_credits")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "avatar_url")}),
        ("Plan and credits", {"fields": ("plan", "credits")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Staff who may edit users must not hand themselves (or a friend) the keys to everything.
            fields += ("is_superuser", "groups", "user_permissions")
        return fields

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # A superuser's page (and its password form) is view-only for other staff: editing the email and
        # resetting the password would be a takeover, unticking "active" a lock-out.
        if obj is not None and isinstance(request.user, User) and not obj.can_be_managed_by(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and isinstance(request.user, User) and not obj.can_be_managed_by(request.user):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Disable selected users (ends their sessions, sockets and tokens)")
    def disable_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        assert isinstance(request.user, User)
        count, refused = 0, []
        for user in queryset:
            try:
                services.set_active(user=user, active=False, by=request.user)
                count += 1
            except UserError as exc:
                refused.append(f"{user.email} ({exc.detail})")
        self.message_user(request, f"Disabled {count} user(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not disabled: " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Enable selected users")
    def enable_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.set_active(user=user, active=True)
        self.message_user(request, f"Enabled {queryset.count()} user(s).", messages.SUCCESS)

    @admin.action(description="Change plan of selected users")
    def change_plan(self, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:
        form = ChangePlanForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            plan = form.cleaned_data["plan"]
            count = queryset.update(plan=plan)
            self.message_user(request, f"Moved {count} user(s) to {plan.name}.", messages.SUCCESS)
            return None
        return self._intermediate(request, queryset, form, "Change plan", "change_plan")

    @admin.action(description="Add or remove credits (with a reason)")
    def adjust_credits(self, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:

        form = AdjustCreditsForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, refused = 0, []
            actor = request.user if isinstance(request.user, User) else None
            for user in queryset:
                try:
                    adjust(user=user, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"], by=actor)
                    done += 1
                except InsufficientCredits:
                    refused.append(user.email)
            self.message_user(request, f"Adjusted {done} balance(s).", messages.SUCCESS)
            if refused:
                self.message_user(request, "Not enough credits to remove from: " + ", ".join(refused), messages.WARNING)
            return None
        return self._intermediate(request, queryset, form, "Add or remove credits", "adjust_credits")

    def _intermediate(
        self, request: HttpRequest, queryset: QuerySet[User], form: forms.Form, title: str, action: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "users": queryset,
            "action": action,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/user/intermediate_action.html", context)


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


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin[Invite]):
    """Single-use sign-up links for SIGNUP=invite: add one, copy the link from the message, send it."""

    list_display = ("__str__", "status", "created_by", "created_at", "expires_at", "used_at", "used_by")
    list_select_related = ("created_by", "used_by")
    fields = ("note", "expires_at", "created_by", "created_at", "used_at", "used_by")
    readonly_fields = ("created_by", "created_at", "used_at", "used_by")

    def save_model(self, request: HttpRequest, obj: Invite, form: forms.Form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = obj.set_new_key()
        obj.created_by = request.user if isinstance(request.user, User) else None
        super().save_model(request, obj, form, change)
        link = request.build_absolute_uri(reverse("account_signup")) + "?" + urlencode({"invite": raw})
        # Only the key's hash is stored: this message is the one place the link appears.
        self.message_user(request, f"Invite link (shown once, works for one sign-up): {link}", messages.SUCCESS)
