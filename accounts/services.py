"""Account workflows with side effects beyond one row."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

import ratelimits
from accounts.models import ApiToken, FirstAccount, Invite, User
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


# --- API tokens ------------------------------------------------------------------------------------------

WRONG_CREDENTIALS = "Wrong email or password."


def _login_failed_window() -> int:
    """The longest window of allauth's failed-login limits ("10/m/ip,5/5m/key"): a refused caller may retry
    after it at the latest."""
    windows = [
        ratelimits.parse_rate("/".join(part.strip().split("/")[:2]), setting="RATE_LIMIT_LOGIN_FAILED").seconds
        for part in str(settings.ACCOUNT_RATE_LIMITS.get("login_failed") or "").split(",")
        if part.strip()
    ]
    return max(windows, default=60)


def check_password_login(*, request: HttpRequest, email: str, password: str) -> User:
    """The account these credentials open, checked exactly as the sign-in form checks them, or UserError.

    allauth's adapter does the checking: the same failed-login counters as the form (per IP and per address,
    so switching between the form and the API gains an attacker nothing), the same timing for unknown
    addresses, and one message for a wrong password and an unknown email. A disabled account is only told
    apart once its password was right, as the sign-in form does.
    """
    try:
        user: User | None = get_adapter(request).authenticate(request, email=email, password=password)
    except ValidationError:  # allauth's "too many login attempts"
        window = _login_failed_window()
        raise UserError(
            f"Too many failed sign-in attempts; try again in {window // 60 or 1} min.", 429, retry_after=window
        ) from None
    if user is None:
        raise UserError(WRONG_CREDENTIALS, 401)
    if not user.is_active:
        raise UserError("This account is disabled.", 403)
    if (
        settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
        and not EmailAddress.objects.filter(user=user, verified=True).exists()
    ):
        raise UserError("Confirm your email address first: follow the link in the mail we sent you.", 403)
    return user


def issue_token_by_password(
    *, request: HttpRequest, email: str, password: str, name: str, expires_at: Any = None
) -> tuple[ApiToken, str]:
    """A new API token for whoever these credentials open (POST /api/v1/auth/token): the token and its raw
    value, shown this once."""
    if expires_at is not None and expires_at <= timezone.now():
        raise UserError("The expiry must be in the future.", 400)
    user = check_password_login(request=request, email=email, password=password)
    # Failures are counted by allauth; this bounds the successes, so a script stuck in a loop (or a stolen
    # password) can't fill the token table.
    ratelimits.hit(
        "token-login", user.pk, "TOKEN_LOGIN_RATE_LIMIT", detail="Too many new tokens for this account; try later."
    )
    return ApiToken.issue(user=user, name=name or "API sign-in", expires_at=expires_at)


def revoke_tokens(tokens: QuerySet[ApiToken]) -> int:
    """Revoke `tokens` and close the event sockets they opened; how many were still active.

    One conditional UPDATE (only active ones, so a token's revocation time is never moved). A socket that
    misses the close (the channel layer delivers at most once) finds out at its next check of the token.
    """
    ids = list(tokens.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return 0
    revoked = ApiToken.objects.filter(pk__in=ids, revoked_at__isnull=True).update(revoked_at=timezone.now())
    transaction.on_commit(lambda: _close_token_connections(ids))
    return revoked


def _close_token_connections(token_ids: list[int]) -> None:
    for token_id in token_ids:
        events.close_token_connections(token_id)


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


def promote_if_first(*, user: User) -> bool:
    """Make `user` staff and admin when theirs is the install's first account (FIRST_ACCOUNT_IS_STAFF), so a
    fresh install can scan, normalize and manage without `createsuperuser`.

    Call inside the transaction that created the user. Exactly one account ever wins: the `FirstAccount` row's
    unique slot (see its docstring), inserted in a savepoint so the loser's sign-up goes on as a normal one.
    An install that already has accounts (made before this rule, or by createsuperuser) promotes nobody.
    """
    if not settings.FIRST_ACCOUNT_IS_STAFF or User.objects.exclude(pk=user.pk).exists():
        return False
    try:
        with transaction.atomic():
            FirstAccount.objects.create(user=user)
    except IntegrityError:
        return False
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.is_staff = user.is_superuser = True
    return True


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
