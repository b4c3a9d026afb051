from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory


def signup(client: Client, email: str, password: str = PASSWORD, password2: str | None = None):
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password2 or password})


@pytest.mark.django_db
def test_sign_up_creates_a_free_user_and_signs_them_in():
    client = Client()
    response = signup(client, "Fresh@Example.com")
    assert response.status_code == 302
    user = User.objects.get(email="fresh@example.com")
    assert user.plan is not None
    assert user.plan.code == "free"
    assert user.credits == 25
    home = client.get("/")
    assert home.status_code == 200
    assert b"Free" in home.content


@pytest.mark.django_db
def test_sign_up_with_a_taken_email_in_any_case_is_refused(user):
    response = signup(Client(), user.email.upper())
    assert response.status_code == 200
    assert b"already registered" in response.content
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", b"too short"), ("password123", b"too common"), ("12345678901", b"entirely numeric")],
)
def test_sign_up_with_a_weak_password_is_refused(password, reason):
    response = signup(Client(), "weak@example.com", password)
    assert response.status_code == 200
    assert reason in response.content
    assert not User.objects.filter(email="weak@example.com").exists()


@pytest.mark.django_db
def test_sign_in_with_email_in_any_case(user):
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/v1/me").json()["id"] == user.pk


@pytest.mark.django_db
def test_repeated_failed_logins_are_rate_limited(user):
    client = Client()
    pages = [client.post("/accounts/login/", {"login": user.email, "password": "wrong-one"}) for _ in range(6)]
    assert b"Too many failed login attempts" not in pages[0].content
    assert b"Too many failed login attempts" in pages[-1].content
    # Even the right password is refused while the lockout holds.
    locked = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert locked.status_code in (200, 429)
    assert b"Too many failed login attempts" in locked.content
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_a_disabled_user_cannot_sign_in():
    user = UserFactory.create(is_active=False)
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert client.get("/api/v1/me").status_code == 401
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "inactive" in response["Location"]


@pytest.mark.django_db
def test_disabling_a_user_ends_their_open_session(user, authed_client):
    assert authed_client.get("/").status_code == 200
    user.is_active = False
    user.save()
    response = authed_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_sign_out_needs_post_and_ends_the_session(authed_client):
    response = authed_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert authed_client.get("/").status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_mail(user, mailoutbox):
    response = Client().post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert user.email in mailoutbox[0].to


@pytest.mark.django_db
def test_provider_buttons_show_only_when_configured(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    page = Client().get("/accounts/login/").content
    assert b"Continue with GitHub" not in page
    assert b"Continue with Google" not in page
    settings.SOCIALACCOUNT_PROVIDERS = {"github": {"APPS": [{"client_id": "id", "secret": "s", "key": ""}]}}
    page = Client().get("/accounts/login/").content
    assert b"Continue with GitHub" in page
    assert b"Continue with Google" not in page


@pytest.mark.django_db
def test_display_name_is_edited_and_escaped_everywhere(authed_client, user):
    response = authed_client.post("/profile/", {"name": "<script>alert(1)</script>"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.name == "<script>alert(1)</script>"
    page = authed_client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_a_display_name_with_control_characters_is_refused(authed_client, user):
    response = authed_client.post("/profile/", {"name": "bad\x07name"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert b"control characters" in response.content
