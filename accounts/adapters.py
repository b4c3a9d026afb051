"""allauth hooks: who may sign up (settings.SIGNUP), when the first credits arrive, the client's address,
and display name and avatar from OAuth providers."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.db import transaction
from django.forms import Form, ValidationError
from django.http import HttpRequest
from django.shortcuts import render

from accounts import services
from accounts.clientip import client_ip
from accounts.models import User

INVITE_SESSION_KEY = "signup_invite"


def invite_key(request: HttpRequest) -> str | None:
    """The invite the visitor brought. The link is /accounts/signup/?invite=KEY; the key then rides in the
    session through the form post and any OAuth round trip."""
    session = getattr(request, "session", None)
    key = request.GET.get("invite")
    if key and session is not None:
        session[INVITE_SESSION_KEY] = key[:100]
    return session.get(INVITE_SESSION_KEY) if session is not None else key


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no types: its base is Any
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's per-IP sign-in limits must see the same address as every other limit of the project.
        return client_ip(request)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return services.signup_open(invite_key=invite_key(request))

    def validate_unique_email(self, email: str) -> str:
        # Called for addresses being claimed (sign-up, social sign-up form, adding an address), not for
        # sign-in or password reset: existing accounts outside the domains keep working.
        if not services.email_domain_allowed(email):
            domains = ", ".join(settings.SIGNUP_EMAIL_DOMAINS)
            raise ValidationError(f"Sign-up is open to addresses at {domains} only.")
        return str(super().validate_unique_email(email))

    def save_user(self, request: HttpRequest, user: User, form: Form, commit: bool = True) -> User:
        if not hasattr(form, "sociallogin"):  # the social adapter decides for its own sign-ups
            user.welcome_credits_pending = services.welcome_credits_wait_for(email_verified=False)
        with transaction.atomic():
            saved: User = super().save_user(request, user, form, commit)
            if commit:
                self.admit_or_refuse(request, saved)
        return saved

    def admit_or_refuse(self, request: HttpRequest, user: User) -> None:
        """Spend the invite (SIGNUP=invite) inside the transaction that made `user`: losing the race to a
        second sign-up with the same link rolls this account back."""
        if not services.admit(user=user, invite_key=invite_key(request)):
            raise ImmediateHttpResponse(render(request, "account/signup_closed.html", status=403))
        services.promote_if_first(user=user)
        if hasattr(request, "session"):
            request.session.pop(INVITE_SESSION_KEY, None)


def _provider_verified(sociallogin: SocialLogin) -> bool:
    email = (sociallogin.user.email or "").lower()
    return any(a.verified and a.email.lower() == email for a in sociallogin.email_addresses)


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]  # allauth: untyped base
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Same rules as the sign-up form; an address the provider didn't give is checked by the form later.
        return services.signup_open(invite_key=invite_key(request), email=sociallogin.user.email or None)

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Form | None = None) -> User:
        user: User = sociallogin.user
        user.welcome_credits_pending = services.welcome_credits_wait_for(email_verified=_provider_verified(sociallogin))
        with transaction.atomic():
            saved: User = super().save_user(request, sociallogin, form)
            adapter = get_account_adapter(request)
            assert isinstance(adapter, AccountAdapter)
            adapter.admit_or_refuse(request, saved)
        return saved

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        extra = sociallogin.account.extra_data or {}
        full_name = (
            data.get("name")
            or extra.get("name")
            or " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        )
        user.name = (full_name or "").strip()[:100]
        user.avatar_url = (sociallogin.account.get_avatar_url() or "")[:500]
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        # Returning users keep their chosen display name, but the avatar follows the provider.
        if sociallogin.is_existing:
            avatar = (sociallogin.account.get_avatar_url() or "")[:500]
            user = sociallogin.user
            if avatar and avatar != user.avatar_url:
                User.objects.filter(pk=user.pk).update(avatar_url=avatar)
