"""Staff manage users, but never the superusers above them, and never a balance without a ledger row."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from credits.models import CreditAction, CreditTransaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss() -> User:
    return User.objects.create_superuser("boss@example.com", PASSWORD)


@pytest.fixture
def manager() -> User:
    """Staff with every permission on users, but not a superuser."""
    manager = UserFactory.create(is_staff=True)
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    return manager


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_form_data(user: User, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email": user.email,
        "name": user.name,
        "avatar_url": "",
        "plan": user.plan_id or "",
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_staff_cannot_disable_a_superuser_with_the_admin_action(manager, boss, user):
    response = client_for(manager).post(
        "/admin/accounts/user/", {"action": "disable_users", "_selected_action": [boss.pk, user.pk]}, follow=True
    )
    assert response.status_code == 200
    assert b"Only a superuser" in response.content
    boss.refresh_from_db()
    user.refresh_from_db()
    assert boss.is_active
    assert not user.is_active


def test_staff_cannot_edit_a_superusers_page_or_password(manager, boss):
    client = client_for(manager)
    response = client.post(f"/admin/accounts/user/{boss.pk}/change/", change_form_data(boss, is_active=""))
    assert response.status_code == 403
    hijack = client.post(
        f"/admin/accounts/user/{boss.pk}/password/",
        {"password1": "taken-over-123", "password2": "taken-over-123", "usable_password": "true"},
    )
    assert hijack.status_code == 403
    boss.refresh_from_db()
    assert boss.is_active
    assert boss.check_password(PASSWORD)


def test_staff_cannot_make_themselves_superuser(manager):
    response = client_for(manager).post(
        f"/admin/accounts/user/{manager.pk}/change/", change_form_data(manager, is_superuser="on")
    )
    assert response.status_code == 302, response.content
    manager.refresh_from_db()
    assert not manager.is_superuser


def test_a_superuser_can_disable_another_superuser(boss):
    other = User.objects.create_superuser("other@example.com", PASSWORD)
    response = client_for(boss).post(f"/api/v1/admin/users/{other.pk}/disable")
    assert response.status_code == 200
    other.refresh_from_db()
    assert not other.is_active


def test_staff_cannot_disable_or_edit_a_superuser_through_the_api(manager, boss):
    client = client_for(manager)
    assert client.post(f"/api/v1/admin/users/{boss.pk}/disable").status_code == 403
    patch = client.patch(f"/api/v1/admin/users/{boss.pk}", {"is_active": False}, content_type="application/json")
    assert patch.status_code == 403
    assert "superuser" in patch.json()["detail"]
    boss.refresh_from_db()
    assert boss.is_active


def test_the_balance_is_read_only_in_the_admin_form(boss, user):
    client = client_for(boss)
    page = client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert 'name="credits"' not in page
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", change_form_data(user, credits="99999"))
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.credits == 25
    assert not CreditTransaction.objects.filter(user=user, action=CreditAction.ADMIN_ADJUSTMENT).exists()
