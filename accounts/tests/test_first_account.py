"""Issue 16, item 16: the first account created becomes staff (as Navidrome does), exactly one even when two
sign up at the same moment, and its empty board says what to do first."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from accounts import services
from accounts.models import FirstAccount, User
from accounts.tests.factories import UserFactory

PASSWORD = "a-long-enough-passw0rd"


def sign_up(email: str) -> Client:
    client = Client()
    response = client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.mark.django_db
def test_the_first_sign_up_becomes_staff_and_admin_and_the_next_does_not():
    first = sign_up("first@example.com")
    second = sign_up("second@example.com")
    founder = User.objects.get(email="first@example.com")
    assert founder.is_staff
    assert founder.is_superuser
    other = User.objects.get(email="second@example.com")
    assert not other.is_staff
    assert not other.is_superuser
    board = first.get("/").content.decode()
    assert 'data-testid="first-steps"' in board
    assert "Scan folders" in board
    assert 'data-testid="first-steps"' not in second.get("/").content.decode()


@pytest.mark.django_db
def test_an_install_with_accounts_already_promotes_nobody():
    UserFactory.create()  # made before the rule, or by createsuperuser
    sign_up("late@example.com")
    assert not User.objects.get(email="late@example.com").is_staff


@pytest.mark.django_db
def test_the_rule_can_be_turned_off(settings):
    settings.FIRST_ACCOUNT_IS_STAFF = False
    sign_up("plain@example.com")
    assert not User.objects.get(email="plain@example.com").is_staff


@pytest.mark.django_db
def test_a_deleted_first_account_does_not_make_the_next_sign_up_staff():
    sign_up("gone@example.com")
    User.objects.filter(email="gone@example.com").delete()
    sign_up("after@example.com")
    assert not User.objects.get(email="after@example.com").is_staff


def race_first_sign_ups(tag: str) -> list[Any]:
    """Two accounts created in two threads released together; what `promote_if_first` said to each."""
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def create(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                user = User.objects.create_user(email=f"racer{i}-{tag}@example.com", password=PASSWORD)
                results[i] = services.promote_if_first(user=user)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_first_sign_ups_at_the_same_moment_make_exactly_one_staff():
    for round_ in range(5):
        User.objects.all().delete()
        FirstAccount.objects.all().delete()
        assert sorted(race_first_sign_ups(str(round_))) == [False, True]
        assert User.objects.filter(is_staff=True).count() == 1
