"""allauth hooks: sign-up switch, display name and avatar from OAuth providers."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest

from accounts.clientip import client_ip
from accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's per-IP sign-in limits must see the same address as every other limit of the project.
        return client_ip(request)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
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
