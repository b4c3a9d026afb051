from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import Plan, User


@pytest.mark.django_db
def test_the_three_plans_are_seeded_with_their_numbers():
    plans = {p.code: (p.credits, p.max_credits) for p in Plan.objects.all()}
    assert plans == {"free": (25, 75), "premium": (50, 150), "pro": (100, 300)}


@pytest.mark.django_db
def test_a_new_user_gets_the_free_plan_and_its_daily_credits():
    user = User.objects.create_user("New@Example.com", "pw-long-enough-1")
    assert user.plan is not None
    assert user.plan.code == "free"
    assert user.credits == 25
    assert user.email == "new@example.com"
    assert not user.is_staff


@pytest.mark.django_db
def test_createsuperuser_works_with_email_and_gives_pro(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-long-enough-1")
    call_command("createsuperuser", "--noinput", "--email", "Boss@Example.com", verbosity=0)
    boss = User.objects.get(email="boss@example.com")
    assert boss.is_staff
    assert boss.is_superuser
    assert boss.plan is not None
    assert boss.plan.code == "pro"
    assert boss.credits == 100


@pytest.mark.django_db
def test_email_is_unique_whatever_its_case():
    User.objects.create_user("someone@example.com", "pw-long-enough-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("SomeOne@EXAMPLE.com", "pw-long-enough-1")


@pytest.mark.django_db
def test_email_login_lookup_ignores_case():
    user = User.objects.create_user("mixed@example.com", "pw-long-enough-1")
    assert User.objects.get_by_natural_key("MIXED@example.COM") == user


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(credits=-1)


@pytest.mark.django_db
def test_a_plan_cannot_grant_more_than_its_cap():
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(code="odd", name="Odd", credits=10, max_credits=5)


@pytest.mark.django_db
def test_display_name_falls_back_to_the_email_user_part():
    user = User.objects.create_user("jane.doe@example.com", "pw-long-enough-1")
    assert user.display_name == "jane.doe"
    assert user.initials == "JD"
    user.name = "Jane"
    assert user.display_name == "Jane"
