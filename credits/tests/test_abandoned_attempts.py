"""A web process killed between the debit and its settlement: the sweep gives the credit back, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from credits import services
from credits.models import AttemptState, CreditAction, CreditTransaction

pytestmark = pytest.mark.django_db


def _attempt(user: User, *, age_s: float) -> CreditTransaction:
    attempt = services.debit(user_id=user.pk, amount=1, action=CreditAction.VLC_PLAY_SOUND, attempt=True)
    CreditTransaction.objects.filter(pk=attempt.pk).update(created_at=timezone.now() - timedelta(seconds=age_s))
    return attempt


def test_an_attempt_left_pending_by_a_dead_web_process_is_refunded_once(user):
    orphan = _attempt(user, age_s=600)
    recent = _attempt(user, age_s=1)  # its web process may still be waiting for the player
    played = _attempt(user, age_s=600)
    assert services.keep_attempt(played.pk)
    assert services.settle_abandoned_attempts(older_than=timedelta(seconds=120)) == 1
    assert services.settle_abandoned_attempts(older_than=timedelta(seconds=120)) == 0  # a second sweep: nothing
    states = dict(CreditTransaction.objects.filter(attempt__gt="").values_list("pk", "attempt"))
    assert states == {orphan.pk: AttemptState.REFUNDED, recent.pk: AttemptState.PENDING, played.pk: AttemptState.PLAYED}
    user.refresh_from_db()
    assert user.credits == 25 - 2  # the orphan came back; the played one and the recent one are still spent
    assert CreditTransaction.objects.filter(user=user, action=CreditAction.REFUND).count() == 1


def test_the_player_can_no_longer_keep_an_attempt_the_sweep_refunded(user):
    orphan = _attempt(user, age_s=600)
    services.settle_abandoned_attempts(older_than=timedelta(seconds=120))
    assert not services.keep_attempt(orphan.pk)  # kept or refunded, never both
