"""Google and GitHub sign-in through allauth's real views; only the providers' HTTP answers are mocked."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from django.test import Client

from accounts.models import User

APPS = {
    "google": {
        "APPS": [{"client_id": "google-id", "secret": "google-secret", "key": ""}],
        "SCOPE": ["profile", "email"],
    },
    "github": {
        "APPS": [{"client_id": "github-id", "secret": "github-secret", "key": ""}],
        "SCOPE": ["read:user", "user:email"],
    },
}


@pytest.fixture
def providers(settings):
    settings.SOCIALACCOUNT_PROVIDERS = APPS


def start_flow(client: Client, provider: str, authorize_host: str) -> str:
    # SOCIALACCOUNT_LOGIN_ON_GET is off: a GET only shows a confirmation page, the redirect needs a POST.
    confirm = client.get(f"/accounts/{provider}/login/")
    assert confirm.status_code == 200
    response = client.post(f"/accounts/{provider}/login/")
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.netloc == authorize_host
    return parse_qs(location.query)["state"][0]


@pytest.mark.django_db
@responses.activate
def test_github_sign_in_creates_a_user_with_name_and_avatar(providers):
    responses.post(
        "https://github.com/login/oauth/access_token", json={"access_token": "gho_token", "token_type": "bearer"}
    )
    responses.get(
        "https://api.github.com/user",
        json={
            "id": 4242,
            "login": "octo",
            "name": "Octo Cat",
            "email": "Octo@Example.com",
            "avatar_url": "https://avatars.example/octo.png",
        },
    )
    responses.get(
        "https://api.github.com/user/emails", json=[{"email": "Octo@Example.com", "primary": True, "verified": True}]
    )
    client = Client()
    state = start_flow(client, "github", "github.com")
    response = client.get("/accounts/github/login/callback/", {"code": "the-code", "state": state})
    assert response.status_code == 302, response.content
    user = User.objects.get(email="octo@example.com")
    assert user.name == "Octo Cat"
    assert user.avatar_url == "https://avatars.example/octo.png"
    assert user.plan is not None
    assert user.plan.code == "free"
    assert client.get("/api/v1/me").json()["id"] == user.pk
    token_call = responses.calls[0].request
    assert token_call.url == "https://github.com/login/oauth/access_token"


@pytest.mark.django_db
@responses.activate
def test_github_callback_with_a_forged_state_signs_nobody_in(providers):
    client = Client()
    start_flow(client, "github", "github.com")
    response = client.get("/accounts/github/login/callback/", {"code": "the-code", "state": "forged"})
    assert response.status_code == 401
    assert b"Third-Party Login Failure" in response.content
    assert not User.objects.exists()
    assert len(responses.calls) == 0


@pytest.mark.django_db
@responses.activate
def test_google_sign_in_creates_a_user_from_the_id_token(providers):
    now = int(time.time())
    id_token = jwt.encode(
        {
            "iss": "https://accounts.google.com",
            "aud": "google-id",
            "sub": "10769150350006150715113082367",
            "email": "Ada@Example.com",
            "email_verified": True,
            "name": "Ada Lovelace",
            "picture": "https://lh3.example/ada.jpg",
            "iat": now,
            "exp": now + 3600,
        },
        "not-checked-for-directly-fetched-tokens",
        algorithm="HS256",
    )
    responses.post(
        "https://oauth2.googleapis.com/token",
        json={"access_token": "ya29.token", "expires_in": 3599, "id_token": id_token, "token_type": "Bearer"},
    )
    client = Client()
    state = start_flow(client, "google", "accounts.google.com")
    response = client.get("/accounts/google/login/callback/", {"code": "the-code", "state": state})
    assert response.status_code == 302, response.content
    user = User.objects.get(email="ada@example.com")
    assert user.name == "Ada Lovelace"
    assert user.avatar_url == "https://lh3.example/ada.jpg"
    assert client.get("/api/v1/me").json()["email"] == "ada@example.com"


@pytest.mark.django_db
@responses.activate
def test_oauth_sign_in_does_not_take_over_an_existing_email_account(providers, user):
    # SOCIALACCOUNT_EMAIL_AUTHENTICATION is off: a provider claiming someone's email must not log in as them.
    responses.post("https://github.com/login/oauth/access_token", json={"access_token": "gho_token"})
    responses.get("https://api.github.com/user", json={"id": 7, "login": "mallory", "name": "M", "email": user.email})
    responses.get("https://api.github.com/user/emails", json=[{"email": user.email, "primary": True, "verified": True}])
    client = Client()
    state = start_flow(client, "github", "github.com")
    client.get("/accounts/github/login/callback/", {"code": "c", "state": state})
    me = client.get("/api/v1/me")
    assert me.status_code == 401 or me.json()["id"] != user.pk
