from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import resolve

from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from web.context_processors import _nav_items
from web.views import server_error


@pytest.mark.django_db
def test_every_page_but_sign_in_needs_a_session():
    client = Client()
    for path in ["/", "/profile/", "/messages/new/", "/live/refresh/", "/api/v1/docs"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/signup/").status_code == 200


@pytest.mark.django_db
def test_home_shows_plan_and_balance(authed_client, user):
    html = authed_client.get("/").content.decode()
    assert 'data-testid="home-plan">Free<' in html
    assert 'data-testid="credit-balance">25<' in html
    assert "25 credits a night, up to 75" in html


@pytest.mark.django_db
def test_the_shell_carries_csrf_header_htmx_and_the_live_socket(authed_client):
    html = authed_client.get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "django_htmx/htmx-2.min.js" in html
    assert "django_htmx/ext/hx-ws-2.min.js" in html
    assert 'ws-connect="/ws/live/"' in html
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_the_admin_link_shows_for_staff_only():
    client = Client()
    client.force_login(UserFactory.create())
    assert 'href="/admin/"' not in client.get("/").content.decode()
    client.force_login(UserFactory.create(is_staff=True))
    assert 'href="/admin/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_sidebar_links_only_to_pages_that_exist(authed_client):
    for item in _nav_items():
        resolve(item.url)  # raises Resolver404 for a dead link


@pytest.mark.django_db
def test_unknown_pages_get_the_custom_404(authed_client):
    response = authed_client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Back to the soundboard" in response.content


@pytest.mark.django_db
def test_a_missing_csrf_token_gets_the_custom_403(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/profile/", {"name": "x"})
    assert response.status_code == 403
    assert b"Your form expired" in response.content
    user.refresh_from_db()
    assert user.name != "x"


def test_the_500_page_renders_without_a_request(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something broke" in response.content


@pytest.mark.django_db
def test_requests_are_logged_with_status_duration_and_user(authed_client, user, caplog):
    with caplog.at_level(logging.INFO, logger="soundboard.requests"):
        authed_client.get("/profile/")
    line = next(r.getMessage() for r in caplog.records if r.name == "soundboard.requests")
    assert line.startswith("GET /profile/ 200 ")
    assert "ms " in line
    assert line.endswith(f"user={user.pk}")


@pytest.mark.django_db
def test_live_refresh_renders_every_live_part(authed_client, user):
    html = authed_client.get("/live/refresh/").content.decode()
    assert 'id="online-count"' in html
    assert f'id="credit-balance" data-testid="credit-balance" hx-swap-oob="true">{user.credits}<' in html


@pytest.mark.django_db
def test_htmx_requests_get_django_messages_as_toasts(authed_client, user):
    token, _ = ApiToken.issue(user=user, name="t")
    response = authed_client.post(f"/profile/tokens/{token.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert "revoked" in response["HX-Trigger"]


def test_deploy_checks_pass_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "TESTING": "false",
        "DEBUG": "false",
        "SECRET_KEY": "a-strong-production-secret-key-with-enough-entropy-0123456789-abcdef",
        "ALLOWED_HOSTS": "soundboard.example.com",
        "SECURE_SSL_REDIRECT": "true",
        "VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_unknown_api_addresses_answer_in_json(authed_client):
    response = authed_client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
