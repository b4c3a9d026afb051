"""Credits: every debit is one conditional UPDATE, every change one ledger row and one live event.

The balance itself lives on the user row (fast to read on every page); the ledger explains it. A debit is
`UPDATE … SET credits = credits - n WHERE id = … AND credits >= n`: two requests racing for the last credit
can never both win, and the database's check constraint is the last line of defence.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from accounts.models import User
from core.errors import UserError
from credits.models import AttemptState, CreditAction, CreditTransaction
from live import events
from live.contexts import UserCreditsChanged

logger = logging.getLogger(__name__)

COSTS: dict[str, str] = {
    CreditAction.VLC_PLAY_SOUND: "CREDIT_COST_PLAY",
    CreditAction.PLAYER_PLAY: "CREDIT_COST_PLAYER",
    CreditAction.QUEUE_ADD: "CREDIT_COST_PLAYER",  # a music action, priced like starting the music
    CreditAction.AUDIO_EXTRACTION: "CREDIT_COST_EXTRACTION",
    CreditAction.TEXT_TO_SPEECH: "CREDIT_COST_TTS",
}


def cost_of(action: str) -> int:
    return int(getattr(settings, COSTS[action]))


class InsufficientCredits(UserError):
    """A 402 like any other refusal: the API and the HTML views answer it without translating it."""

    def __init__(self, *, needed: int, balance: int, action: str) -> None:
        self.needed = needed
        self.balance = balance
        self.action = action
        label = CreditAction(action).label.lower() if action in CreditAction.values else action
        super().__init__(f"Not enough credits: {label} costs {needed}, you have {balance}.", 402)


def _event(tx: CreditTransaction) -> UserCreditsChanged:
    return UserCreditsChanged(
        before=tx.balance_before,
        after=tx.balance_after,
        amount=tx.amount,
        action=tx.action,
        action_label=CreditAction(tx.action).label,
        transaction_id=tx.pk,
    )


def _notify(tx: CreditTransaction) -> None:
    event = _event(tx)
    transaction.on_commit(lambda: events.send_to_user(tx.user_id, event))


def announce(tx: CreditTransaction) -> None:
    """The live event of a debit made with `announce=False` (committed): its owner's pages show the balance."""
    events.send_to_user(tx.user_id, _event(tx))


def _balance(user_id: int) -> int:
    return int(User.objects.filter(pk=user_id).values_list("credits", flat=True).get())


def debit(
    *,
    user_id: int,
    amount: int,
    action: str,
    metadata: dict[str, Any] | None = None,
    attempt: bool = False,
    announce: bool = True,
) -> CreditTransaction:
    """Take `amount` credits or raise InsufficientCredits; nothing changes on failure.

    `attempt=True` makes the debit a pending attempt, settled later by `keep_attempt` or `refund_attempt`.
    `announce=False` leaves its live event to the caller, who has something more urgent to send
    first: an instant play sends the player its command, then tells the pages (`announce`) while the clip starts.
    """
    if amount < 0:
        raise ValueError("A debit amount is positive.")
    with transaction.atomic():
        # The one conditional UPDATE (see the module docstring). Inactive users cannot spend.
        updated = User.objects.filter(pk=user_id, credits__gte=amount, is_active=True).update(
            credits=F("credits") - amount
        )
        if not updated:
            balance = User.objects.filter(pk=user_id).values_list("credits", flat=True).first() or 0
            raise InsufficientCredits(needed=amount, balance=balance, action=action)
        # Our UPDATE holds the row (PostgreSQL) or the database (SQLite) until commit: this read is ours.
        after = _balance(user_id)
        tx = CreditTransaction.objects.create(
            user_id=user_id,
            action=action,
            amount=-amount,
            balance_before=after + amount,
            balance_after=after,
            metadata=metadata or {},
            attempt=AttemptState.PENDING if attempt else "",
        )
        if announce:
            _notify(tx)
    return tx


def keep_attempt(attempt_id: int) -> bool:
    """The attempt happened (the player heard its first samples): pending → played, unless already refunded.

    One conditional UPDATE, the mirror of `refund_attempt`'s: whichever runs first wins, the other finds no
    pending row. Call it in the transaction that records what happened, so the two stand or fall together.
    """
    kept = CreditTransaction.objects.filter(pk=attempt_id, attempt=AttemptState.PENDING).update(
        attempt=AttemptState.PLAYED
    )
    return bool(kept)


def keep_shared_attempt(attempt_id: int) -> bool:
    """`keep_attempt` for an attempt several players share (a staff announcement in every room): pending or
    already played → played. False only once it was refunded: then no room may go on playing it."""
    kept = CreditTransaction.objects.filter(
        pk=attempt_id, attempt__in=[AttemptState.PENDING, AttemptState.PLAYED]
    ).update(attempt=AttemptState.PLAYED)
    return bool(kept)


def refund_attempt(attempt: CreditTransaction, *, reason: str) -> CreditTransaction | None:
    """Give back a pending attempt's debit (it failed or nobody waited for it): pending → refunded, plus the
    refund row, in one transaction. None when the attempt was already settled: played, it is kept."""
    with transaction.atomic():
        moved = CreditTransaction.objects.filter(pk=attempt.pk, attempt=AttemptState.PENDING).update(
            attempt=AttemptState.REFUNDED
        )
        if not moved:
            return None
        return refund(attempt, reason=reason)


def settle_abandoned_attempts(*, older_than: timedelta, limit: int = 500) -> int:
    """Refund attempts still pending long after any answer could have come: the web process that debited them
    died before it could settle (kill -9, a crash). Each goes through `refund_attempt`'s conditional UPDATE, so
    one the player kept meanwhile stays kept and a second sweep refunds nothing twice."""
    cutoff = timezone.now() - older_than
    pending = CreditTransaction.objects.filter(attempt=AttemptState.PENDING, created_at__lt=cutoff).order_by("pk")
    reason = "The play was never confirmed (a server process stopped); your credit was refunded."
    return sum(1 for attempt in pending[:limit] if refund_attempt(attempt, reason=reason) is not None)


def credit(
    *,
    user_id: int,
    amount: int,
    action: str,
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> CreditTransaction:
    """Give `amount` credits (no cap: recharge applies its own)."""
    if amount < 0:
        raise ValueError("A credit amount is positive.")
    with transaction.atomic():
        User.objects.filter(pk=user_id).update(credits=F("credits") + amount)
        after = _balance(user_id)
        tx = CreditTransaction.objects.create(
            user_id=user_id,
            action=action,
            amount=amount,
            balance_before=after - amount,
            balance_after=after,
            metadata=metadata or {},
            idempotency_key=idempotency_key,
        )
        _notify(tx)
    return tx


def refund(original: CreditTransaction, *, reason: str) -> CreditTransaction:
    """Give back what a debit took, once."""
    key = f"refund:{original.pk}"
    existing = CreditTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    return credit(
        user_id=original.user_id,
        amount=-original.amount,
        action=CreditAction.REFUND,
        metadata={"refunded_transaction": original.pk, "refunded_action": original.action, "reason": reason},
        idempotency_key=key,
    )


def adjust(*, user: User, amount: int, reason: str, by: User | None = None) -> CreditTransaction:
    """An admin adds (positive) or removes (negative) credits, with a reason on the ledger."""
    reason = reason.strip()
    if not reason:
        raise ValueError("Give a reason for the adjustment.")
    metadata = {"reason": reason, "by": by.pk if by else None, "by_email": by.email if by else None}
    if amount >= 0:
        return credit(user_id=user.pk, amount=amount, action=CreditAction.ADMIN_ADJUSTMENT, metadata=metadata)
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, credits__gte=-amount).update(credits=F("credits") + amount)
        if not updated:
            raise InsufficientCredits(needed=-amount, balance=_balance(user.pk), action=CreditAction.ADMIN_ADJUSTMENT)
        after = _balance(user.pk)
        tx = CreditTransaction.objects.create(
            user_id=user.pk,
            action=CreditAction.ADMIN_ADJUSTMENT,
            amount=amount,
            balance_before=after - amount,
            balance_after=after,
            metadata=metadata,
        )
        _notify(tx)
    return tx


def recharge_all(*, day: date) -> dict[str, int]:
    """The nightly recharge: balance = min(balance + plan credits, plan cap), never lowered; once per day."""
    done = skipped = 0
    users = User.objects.filter(is_active=True, plan__isnull=False).select_related("plan")
    for user in users.iterator():
        plan = user.plan
        assert plan is not None
        key = f"recharge:{day.isoformat()}:{user.pk}"
        try:
            with transaction.atomic():
                if CreditTransaction.objects.filter(idempotency_key=key).exists():
                    skipped += 1
                    continue
                # The row lock makes "before" and "after" describe exactly this change; the UPDATE itself is one
                # expression, so no credit is lost to a play at the same moment. A balance already above the
                # cap (an admin's gift) is kept, not cut.
                before = User.objects.select_for_update().filter(pk=user.pk).values_list("credits", flat=True).get()
                User.objects.filter(pk=user.pk).update(
                    credits=Greatest(F("credits"), Least(F("credits") + plan.credits, plan.max_credits))
                )
                after = _balance(user.pk)
                tx = CreditTransaction.objects.create(
                    user_id=user.pk,
                    action=CreditAction.DAILY_RECHARGE,
                    amount=after - before,
                    balance_before=before,
                    balance_after=after,
                    metadata={"day": day.isoformat(), "plan": plan.code},
                    idempotency_key=key,
                )
                _notify(tx)
        except IntegrityError:
            skipped += 1  # another run credited this user for this day at the same moment
            continue
        done += 1
    return {"recharged": done, "skipped": skipped}
