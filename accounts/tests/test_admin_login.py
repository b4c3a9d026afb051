"""The admin has no password form of its own: /admin/login/ leads to the site's rate-limited sign-in."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_login_checks_no_password_and_sends_to_the_site_login(staff):
    client = Client()
    for password in ["guess-1", "guess-2", PASSWORD]:
        response = client.post("/admin/login/?next=/admin/", {"username": staff.email, "password": password})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    # Not even the right password signs anyone in there.
    assert client.get("/api/v1/me").status_code == 401


def test_brute_force_aimed_at_the_admin_meets_the_site_lockout(staff):
    client = Client()
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    pages = [client.post(login_url, {"login": staff.email, "password": f"guess-{i}"}) for i in range(6)]
    assert b"Too many failed login attempts" in pages[-1].content
    # The lockout holds for the right password too, and the admin stays closed.
    client.post(login_url, {"login": staff.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == 302


def test_staff_sign_in_on_the_site_and_reach_the_admin(staff):
    client = Client()
    response = client.post("/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_signed_in_non_staff_get_a_refusal_not_a_redirect_loop():
    client = Client()
    client.force_login(UserFactory.create())
    assert client.get("/admin/login/?next=/admin/").status_code == 403
