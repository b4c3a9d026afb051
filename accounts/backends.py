"""Authentication backends: the session's user arrives with their plan in the same query."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend

from accounts.models import User


class AuthBackend(AuthenticationBackend):  # type: ignore[misc]  # allauth ships no types: its base is Any
    def get_user(self, user_id: Any) -> User | None:
        # Every page shows the plan and balance; one join beats a second query per request.
        user = User.objects.select_related("plan").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
