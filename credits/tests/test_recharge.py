from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Plan, User
from accounts.tests.factories import UserFactory
from credits.models import CreditAction, CreditTransaction
from credits.services import recharge_all

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 21)


def set_balance(user, credits):
    User.objects.filter(pk=user.pk).update(credits=credits)


def test_recharge_adds_the_plan_credits_up_to_the_cap():
    low, near, over = UserFactory.create(), UserFactory.create(), UserFactory.create()
    set_balance(low, 10)
    set_balance(near, 70)
    set_balance(over, 90)  # above the free cap of 75, given by an admin: kept, not cut
    result = recharge_all(day=DAY)
    assert result == {"recharged": 3, "skipped": 0}
    balances = dict(User.objects.values_list("pk", "credits"))
    assert balances[low.pk] == 35
    assert balances[near.pk] == 75
    assert balances[over.pk] == 90
    row = CreditTransaction.objects.get(user=near, action=CreditAction.DAILY_RECHARGE)
    assert (row.amount, row.balance_before, row.balance_after) == (5, 70, 75)
    assert row.metadata == {"day": "2026-11-21", "plan": "free"}


def test_recharge_twice_for_the_same_day_credits_once(user):
    set_balance(user, 0)
    recharge_all(day=DAY)
    assert recharge_all(day=DAY) == {"recharged": 0, "skipped": 1}
    user.refresh_from_db()
    assert user.credits == 25
    assert CreditTransaction.objects.filter(user=user, action=CreditAction.DAILY_RECHARGE).count() == 1
    recharge_all(day=date(2026, 11, 22))
    user.refresh_from_db()
    assert user.credits == 50


def test_disabled_users_and_users_without_a_plan_are_not_recharged():
    off = UserFactory.create(is_active=False)
    set_balance(off, 0)
    planless = UserFactory.create()
    User.objects.filter(pk=planless.pk).update(plan=None, credits=0)
    recharge_all(day=DAY)
    assert User.objects.get(pk=off.pk).credits == 0
    assert User.objects.get(pk=planless.pk).credits == 0


def test_each_plan_recharges_by_its_own_numbers():
    pro = UserFactory.create(plan=Plan.objects.get(code="pro"))
    set_balance(pro, 250)
    recharge_all(day=DAY)
    assert User.objects.get(pk=pro.pk).credits == 300


def test_the_command_takes_a_date_and_rejects_nonsense(user):
    out = StringIO()
    call_command("recharge_credits", "--date", "2026-01-02", stdout=out)
    assert out.getvalue().strip() == "2026-01-02: 1 user(s) recharged, 0 already done."
    with pytest.raises(CommandError, match="--date"):
        call_command("recharge_credits", "--date", "02/01/2026")


def test_the_nightly_schedule_is_declared(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["credits-nightly-recharge"]
    assert entry["task"] == "credits.recharge"
    assert entry["schedule"].hour == {0}
    assert entry["schedule"].minute == {0}
