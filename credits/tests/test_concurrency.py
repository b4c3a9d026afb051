"""Many plays racing for the same credits: exactly the balance is spent, never more, never locked out."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from credits import services
from credits.models import CreditAction, CreditTransaction

THREADS, PLAYS_EACH, BALANCE = 8, 50, 100


@pytest.mark.django_db(transaction=True)
def test_eight_threads_of_fifty_plays_spend_exactly_the_balance():
    user = UserFactory.create()
    User.objects.filter(pk=user.pk).update(credits=BALANCE)
    successes: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def player() -> None:
        try:
            start.wait()
            for _ in range(PLAYS_EACH):
                try:
                    services.debit(user_id=user.pk, amount=1, action=CreditAction.VLC_PLAY_SOUND)
                    successes.append(1)
                except services.InsufficientCredits:
                    refused.append(1)
        except BaseException as exc:  # "database is locked" would land here
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=player) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(successes) == BALANCE
    assert len(refused) == THREADS * PLAYS_EACH - BALANCE
    user.refresh_from_db()
    assert user.credits == 0
    debits = CreditTransaction.objects.filter(user=user, action=CreditAction.VLC_PLAY_SOUND)
    assert debits.count() == BALANCE
    # Every row tells a consistent story: balances 99, 98, … 0, each exactly once.
    assert sorted(debits.values_list("balance_after", flat=True)) == list(range(BALANCE))
