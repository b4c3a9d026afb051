"""The welcome credits a new user starts with are on the ledger like every other change."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from credits.models import CreditAction, CreditTransaction


@receiver(post_save, sender=User)
def record_signup_credits(sender: type[User], instance: User, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        CreditTransaction.objects.create(
            user=instance,
            action=CreditAction.SIGNUP,
            amount=instance.credits,
            balance_before=0,
            balance_after=instance.credits,
            metadata={"plan": instance.plan.code if instance.plan else None},
        )
