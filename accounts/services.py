"""Account workflows with side effects beyond one row."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts.models import Invite, User
from core.errors import UserError
from credits.models import CreditAction
from credits.services import credit
from live import events, presence


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


# --- Sign-up policy (settings.SIGNUP) -------------------------------------------------------------------


def email_domain_allowed(email: str) -> bool:
    """Whether `email` may sign up under the current SIGNUP mode's address rule (only `domain` has one)."""
    if settings.SIGNUP != "domain":
        return True
    domain = email.rsplit("@", 1)[-1].strip().lower()
    return domain in settings.SIGNUP_EMAIL_DOMAINS


def signup_open(*, invite_key: str | None, email: str | None = None) -> bool:
    """Whether a sign-up may start: `invite_key` is the raw invite the visitor brought, `email` the address
    known so far (an OAuth provider's), checked against the domain rule when given."""
    mode = settings.SIGNUP
    if mode == "closed":
        return False
    if mode == "invite":
        return invite_key is not None and Invite.find_open(invite_key) is not None
    if mode == "domain" and email is not None:
        return email_domain_allowed(email)
    return True


def admit(*, user: User, invite_key: str | None) -> bool:
    """Spend the visitor's invite on the just-saved `user` (SIGNUP=invite); False when it is gone.

    Call inside the transaction that created the user, so a refusal rolls the account back.
    """
    if settings.SIGNUP != "invite":
        return True
    invite = Invite.find_open(invite_key or "") or Invite.objects.filter(used_by=user).first()
    return invite is not None and invite.claim(user)


def welcome_credits_wait_for(*, email_verified: bool) -> bool:
    """Whether a new account's first credits wait for a verified address (verification on, not yet proven)."""
    return settings.ACCOUNT_EMAIL_VERIFICATION != "none" and not email_verified


def grant_welcome_credits(*, user_id: int) -> bool:
    """Give the plan's first credits held at sign-up, once (on the first verified address)."""
    with transaction.atomic():
        # The conditional UPDATE is the once-only guard: a second confirmation finds nothing pending.
        if not User.objects.filter(pk=user_id, welcome_credits_pending=True).update(welcome_credits_pending=False):
            return False
        user = User.objects.select_related("plan").get(pk=user_id)
        amount = user.plan.credits if user.plan else 0
        if amount:
            credit(
                user_id=user_id,
                amount=amount,
                action=CreditAction.SIGNUP,
                metadata={"plan": user.plan.code if user.plan else None, "reason": "email verified"},
                idempotency_key=f"welcome:{user_id}",
            )
    return True
