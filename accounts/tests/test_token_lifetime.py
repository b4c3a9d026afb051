"""API tokens die with the password they were made under, and minting one needs a fresh password."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client

from accounts.models import ApiToken, User
from accounts.tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-secret-77"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def works(raw: str) -> bool:
    status = Client().get("/api/v1/me", headers=bearer(raw)).status_code
    assert status in (200, 401)
    return status == 200


@pytest.mark.django_db
def test_a_token_stops_working_when_its_owner_changes_the_password(user, authed_client):
    _, raw = ApiToken.issue(user=user, name="deck")
    assert works(raw)
    response = authed_client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302, response.content
    assert not works(raw)
    assert ApiToken.objects.get(user=user).status == "revoked"


@pytest.mark.django_db
def test_a_token_stops_working_after_a_password_reset_by_mail(user):
    _, raw = ApiToken.issue(user=user, name="deck")
    client = Client()
    client.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", str(mail.outbox[-1].body))
    assert link is not None
    form = client.get(link.group(0), follow=True)
    response = client.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content
    assert not works(raw)


@pytest.mark.django_db
def test_a_token_stops_working_when_an_admin_sets_a_new_password(user):
    _, raw = ApiToken.issue(user=user, name="deck")
    staff = User.objects.create_superuser("boss@example.com", PASSWORD)
    client = Client()
    client.force_login(staff)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert not works(raw)


@pytest.mark.django_db
def test_disabling_password_sign_in_also_ends_the_tokens(user):
    _, raw = ApiToken.issue(user=user, name="deck")
    user.set_unusable_password()
    user.save()
    assert not works(raw)


@pytest.mark.django_db
def test_a_transparent_rehash_at_sign_in_keeps_the_tokens(user, settings):
    # Django re-hashes a password with the preferred hasher when someone signs in: same password, new hash.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    _, raw = ApiToken.issue(user=user, name="deck")
    assert Client().post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("md5$")
    assert works(raw)


@pytest.mark.django_db
def test_other_saves_of_the_user_keep_the_tokens(user):
    _, raw = ApiToken.issue(user=user, name="deck")
    user.name = "Renamed"
    user.save()
    assert works(raw)


@pytest.mark.django_db
def test_creating_a_token_without_a_fresh_password_asks_for_it_then_resumes(authed_client, user):
    response = authed_client.post("/profile/tokens/", {"name": "deck"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not ApiToken.objects.filter(user=user).exists()
    # The wrong password changes nothing.
    wrong = authed_client.post(response["Location"], {"password": "not-it-at-all"})
    assert wrong.status_code == 200
    assert not ApiToken.objects.filter(user=user).exists()
    # The right one replays the suspended request: the token is made and shown once.
    done = authed_client.post(response["Location"], {"password": PASSWORD})
    assert done.status_code == 200
    token = ApiToken.objects.get(user=user)
    assert token.name == "deck"
    assert 'data-testid="new-token"' in done.content.decode()


@pytest.mark.django_db
def test_an_htmx_token_request_without_a_fresh_password_sends_the_page_to_the_prompt(authed_client, user):
    response = authed_client.post("/profile/tokens/", {"name": "deck"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/accounts/reauthenticate/?next=%2Fprofile%2F"
    assert not ApiToken.objects.filter(user=user).exists()
