"""Issue 16, item 6: a click from a tab whose user was disabled (or signed out elsewhere) leads to the sign-in
page instead of doing nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_htmx_click_after_the_account_was_disabled_goes_to_the_sign_in_page():
    user = UserFactory.create()
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.post(
        "/player/stop/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/playlists/?x=1"}
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/accounts/login/?next=/playlists/"


def test_a_page_load_still_redirects_as_before():
    response = Client().get("/playlists/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/playlists/"


def test_a_foreign_current_url_never_becomes_the_next_page():
    response = Client().get("/", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/steal"})
    assert response.headers["HX-Redirect"] == "/accounts/login/?next=/steal"
