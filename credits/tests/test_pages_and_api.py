from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Plan, User
from accounts.tests.factories import UserFactory
from credits import services
from credits.models import CreditAction, CreditTransaction

pytestmark = pytest.mark.django_db


def test_the_credits_page_lists_my_ledger_with_the_balance_after_each(authed_client, user):
    services.debit(user_id=user.pk, amount=1, action=CreditAction.VLC_PLAY_SOUND, metadata={"sound_name": "Horn"})
    html = authed_client.get("/credits/").content.decode()
    assert 'data-testid="credits-page-balance">24<' in html
    assert "Played a sound" in html
    assert "Horn" in html
    assert "+25 every night" in html


def test_the_credits_page_filters_by_action_and_paginates(authed_client, user):
    for _ in range(30):
        services.debit(user_id=user.pk, amount=0, action=CreditAction.VLC_PLAY_SOUND)
    html = authed_client.get("/credits/?action=signup").content.decode()
    assert html.count("<tr>") == 2  # header + the signup row
    page1 = authed_client.get("/credits/").content.decode()
    assert "Page 1 of 2" in page1
    partial = authed_client.get("/credits/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert authed_client.get("/credits/?action=bogus&page=zzz").status_code == 200


def test_nobody_sees_another_users_ledger(authed_client, user):
    other = UserFactory.create()
    services.debit(user_id=other.pk, amount=3, action=CreditAction.AUDIO_EXTRACTION)
    body = authed_client.get("/api/v1/credits/transactions").json()
    assert {t["action"] for t in body["items"]} == {"signup"}
    assert "<td>Audio extraction</td>" not in authed_client.get("/credits/").content.decode()


def test_the_transactions_api_filters_and_validates(authed_client, user):
    services.debit(user_id=user.pk, amount=2, action=CreditAction.VLC_PLAY_SOUND)
    body = authed_client.get("/api/v1/credits/transactions?action=vlc_play_sound").json()
    assert [(t["amount"], t["balance_after"]) for t in body["items"]] == [(-2, 23)]
    assert authed_client.get("/api/v1/credits/transactions?action=nope").status_code == 400
    assert authed_client.get("/api/v1/credits/transactions?page_size=0").status_code == 400
    assert Client().get("/api/v1/credits/transactions").status_code == 401


@pytest.fixture
def admin_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_the_admin_user_api_is_for_staff_only(authed_client, user):
    for method, path in [
        ("get", "/api/v1/admin/users/"),
        ("get", f"/api/v1/admin/users/{user.pk}"),
        ("post", f"/api/v1/admin/users/{user.pk}/disable"),
        ("get", "/api/v1/admin/users/plans/list"),
    ]:
        assert getattr(authed_client, method)(path).status_code == 403, path


def test_admins_list_read_and_page_users(admin_client, user):
    body = admin_client.get("/api/v1/admin/users/?page_size=1").json()
    assert body["total"] == 2
    assert len(body["items"]) == 1
    one = admin_client.get(f"/api/v1/admin/users/{user.pk}").json()
    assert one["plan"]["code"] == "free"
    assert admin_client.get("/api/v1/admin/users/999999").status_code == 404
    plans = admin_client.get("/api/v1/admin/users/plans/list").json()
    assert [p["code"] for p in plans] == ["free", "premium", "pro"]


def test_admins_change_plan_and_credits_with_a_reason(admin_client, user, staff):
    premium = Plan.objects.get(code="premium")
    response = admin_client.patch(
        f"/api/v1/admin/users/{user.pk}",
        {"plan_id": premium.pk, "credits": 40, "reason": "contest winner"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["plan"]["code"] == "premium"
    assert response.json()["credits"] == 40
    row = CreditTransaction.objects.get(user=user, action=CreditAction.ADMIN_ADJUSTMENT)
    assert (row.amount, row.metadata["reason"], row.metadata["by"]) == (15, "contest winner", staff.pk)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"credits": 10}, "needs a reason"),
        ({"plan_id": 9999}, "No such plan"),
        ({"credits": -5, "reason": "x"}, "credits"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_bad_admin_updates_are_400_and_change_nothing(admin_client, user, payload, reason):
    response = admin_client.patch(f"/api/v1/admin/users/{user.pk}", payload, content_type="application/json")
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    user.refresh_from_db()
    assert (user.credits, user.plan.code) == (25, "free")


def test_admins_disable_and_enable_but_not_themselves(admin_client, user, staff):
    assert admin_client.post(f"/api/v1/admin/users/{user.pk}/disable").json()["is_active"] is False
    assert not User.objects.get(pk=user.pk).is_active
    assert admin_client.post(f"/api/v1/admin/users/{user.pk}/enable").json()["is_active"] is True
    assert admin_client.post(f"/api/v1/admin/users/{staff.pk}/disable").status_code == 400


def test_django_admin_adjusts_credits_with_a_reason(admin_client, user, staff):
    staff.is_superuser = True
    staff.save()
    url = "/admin/accounts/user/"
    form = admin_client.post(url, {"action": "adjust_credits", "_selected_action": [user.pk]})
    assert form.status_code == 200
    assert b"reason" in form.content
    done = admin_client.post(
        url, {"action": "adjust_credits", "_selected_action": [user.pk], "apply": "1", "amount": "-5", "reason": "spam"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.credits == 20
    assert CreditTransaction.objects.get(user=user, action=CreditAction.ADMIN_ADJUSTMENT).metadata["reason"] == "spam"


def test_the_ledger_is_read_only_in_the_django_admin(admin_client, staff, user):
    staff.is_superuser = True
    staff.save()
    tx = CreditTransaction.objects.filter(user=user).first()
    assert tx is not None
    assert admin_client.get("/admin/credits/credittransaction/").status_code == 200
    assert admin_client.get("/admin/credits/credittransaction/add/").status_code == 403
    assert admin_client.post(f"/admin/credits/credittransaction/{tx.pk}/delete/").status_code == 403
