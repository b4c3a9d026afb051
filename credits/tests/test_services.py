from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.tests.factories import UserFactory
from credits import services
from credits.models import CreditAction, CreditTransaction

pytestmark = pytest.mark.django_db


def balance(user: User) -> int:
    user.refresh_from_db()
    return user.credits


def test_a_new_user_has_a_signup_row_matching_their_credits(user):
    row = CreditTransaction.objects.get(user=user)
    assert row.action == CreditAction.SIGNUP
    assert (row.amount, row.balance_before, row.balance_after) == (25, 0, 25)


def test_a_debit_takes_credits_and_writes_the_ledger(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tx = services.debit(user_id=user.pk, amount=3, action=CreditAction.VLC_PLAY_SOUND, metadata={"sound_id": 7})
    assert (tx.amount, tx.balance_before, tx.balance_after) == (-3, 25, 22)
    assert tx.metadata == {"sound_id": 7}
    assert balance(user) == 22
    assert len(callbacks) == 1  # user_credits_changed, sent after commit


def test_a_debit_beyond_the_balance_changes_nothing(user):
    with pytest.raises(services.InsufficientCredits) as info:
        services.debit(user_id=user.pk, amount=26, action=CreditAction.VLC_PLAY_SOUND)
    assert "costs 26, you have 25" in str(info.value)
    assert balance(user) == 25
    assert CreditTransaction.objects.filter(user=user).count() == 1


def test_a_disabled_user_cannot_spend():
    user = UserFactory.create(is_active=False)
    with pytest.raises(services.InsufficientCredits):
        services.debit(user_id=user.pk, amount=1, action=CreditAction.VLC_PLAY_SOUND)


def test_a_refund_gives_back_once(user):
    tx = services.debit(user_id=user.pk, amount=5, action=CreditAction.AUDIO_EXTRACTION)
    first = services.refund(tx, reason="failed")
    second = services.refund(tx, reason="failed again")
    assert first.pk == second.pk
    assert first.amount == 5
    assert first.metadata["refunded_transaction"] == tx.pk
    assert balance(user) == 25


def test_admin_adjustments_need_a_reason_and_cannot_go_negative(user, staff):
    tx = services.adjust(user=user, amount=10, reason="birthday", by=staff)
    assert tx.action == CreditAction.ADMIN_ADJUSTMENT
    assert tx.metadata["reason"] == "birthday"
    assert tx.metadata["by_email"] == staff.email
    assert balance(user) == 35
    services.adjust(user=user, amount=-30, reason="typo", by=staff)
    assert balance(user) == 5
    with pytest.raises(services.InsufficientCredits):
        services.adjust(user=user, amount=-6, reason="too much", by=staff)
    with pytest.raises(ValueError, match="reason"):
        services.adjust(user=user, amount=1, reason="  ")
    assert balance(user) == 5


def test_the_ledger_arithmetic_is_enforced_by_the_database(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(user=user, action="refund", amount=5, balance_before=1, balance_after=1)
