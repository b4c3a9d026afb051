"""Account workflows with side effects beyond one row."""

from __future__ import annotations

from accounts.models import User
from soundboard import events, presence
from soundboard.errors import UserError


def check_can_manage(*, user: User, by: User) -> None:
    if not user.can_be_managed_by(by):
        raise UserError("Only a superuser can change a superuser's account.", 403)


def set_active(*, user: User, active: bool, by: User | None = None) -> None:
    """Enable or disable an account. Disabling ends it everywhere at once.

    `by` is the staff member asking (None: the system itself, e.g. a management command). Nobody disables
    their own account, and only a superuser disables a superuser.

    Sessions die by themselves (the auth backend refuses inactive users) and so do API tokens (only active
    users' tokens are usable); open websockets are closed by the post_save receiver in accounts.signals.
    """
    if by is not None and not active:
        if user.pk == by.pk:
            raise UserError("You cannot disable your own account.", 400)
        check_can_manage(user=user, by=by)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])


def end_live_connections(user_id: int) -> None:
    events.close_user_connections(user_id)
    presence.disconnect_user_sync(user_id)
