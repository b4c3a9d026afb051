"""Account workflows with side effects beyond one row."""

from __future__ import annotations

from accounts.models import User
from soundboard import events, presence


def set_active(*, user: User, active: bool) -> None:
    """Enable or disable an account. Disabling ends it everywhere at once.

    Sessions die by themselves (the auth backend refuses inactive users) and so do API tokens (only active
    users' tokens are usable); open websockets are closed by the post_save receiver in accounts.signals.
    """
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])


def end_live_connections(user_id: int) -> None:
    events.close_user_connections(user_id)
    presence.disconnect_user_sync(user_id)
