"""A program's sign-in: POST /api/v1/auth/token with email and password, DELETE to revoke the token used."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, User, hash_token
from accounts.tests.factories import PASSWORD, UserFactory

URL = "/api/v1/auth/token"

pytestmark = pytest.mark.django_db


def login(payload: Any, client: Client | None = None, **headers: str) -> Any:
    return (client or Client()).post(URL, payload, content_type="application/json", headers=headers)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_email_and_password_get_a_new_token_that_works(user):
    expires = timezone.now() + timedelta(days=3)
    response = login(
        {"email": user.email, "password": PASSWORD, "name": "stream deck", "expires_at": expires.isoformat()}
    )
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(user=user)
    assert hash_token(body["token"]) == token.key_hash
    assert (body["id"], body["name"], body["prefix"]) == (token.pk, "stream deck", token.prefix)
    assert token.expires_at is not None
    assert abs((token.expires_at - expires).total_seconds()) < 1
    me = Client().get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["id"] == user.pk


def test_name_and_expiry_are_optional_and_the_email_case_does_not_matter(user):
    response = login({"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 201
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.expires_at) == ("API sign-in", None)


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(user):
    wrong = login({"email": user.email, "password": "not-the-password"})
    unknown = login({"email": "nobody@example.com", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong email or password."}
    assert not ApiToken.objects.exists()


def test_a_disabled_account_is_refused_even_with_the_right_password():
    user = UserFactory.create(is_active=False)
    response = login({"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["detail"] == "This account is disabled."
    # With a wrong password it is just a wrong password: nothing about the account is given away.
    assert login({"email": user.email, "password": "guess"}).json()["detail"] == "Wrong email or password."
    assert not ApiToken.objects.exists()


def test_an_unconfirmed_address_is_refused_while_verification_is_mandatory(user, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = login({"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Confirm your email address" in response.json()["detail"]
    EmailAddress.objects.filter(user=user).update(verified=True)
    assert login({"email": user.email, "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"password": PASSWORD}, "email: Field required"),
        ({"email": "a@example.com"}, "password: Field required"),
        ({}, "email: Field required"),
        ({"email": "", "password": PASSWORD}, "email: String should have at least 1 character"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "x" * 101}, "name: String should have at most"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "bad\x00name"}, "control characters"),
        ({"email": "a@example.com", "password": PASSWORD, "expires_at": "tomorrow"}, "expires_at:"),
        ({"email": "a@example.com", "password": PASSWORD, "expires_at": "2030-01-01T00:00:00"}, "timezone"),
        ({"email": "a@example.com", "password": "x" * 5000}, "password: String should have at most"),
        (["email", "password"], "email: Field required"),
    ],
)
def test_bad_input_gets_400_with_the_reason(payload, reason):
    response = login(payload)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_a_body_that_is_not_json_gets_400():
    response = Client().post(URL, "email=a&password=b", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_an_expiry_in_the_past_is_refused_and_nothing_is_made(user):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    response = login({"email": user.email, "password": PASSWORD, "expires_at": past})
    assert response.status_code == 400
    assert response.json()["detail"] == "The expiry must be in the future."
    assert not ApiToken.objects.exists()


def test_failed_attempts_are_limited_like_the_sign_in_form_and_share_its_counters(user):
    # The default limit: 5 failures per address in 5 minutes. Three through the API, two through the form...
    for _ in range(3):
        assert login({"email": user.email, "password": "wrong"}).status_code == 401
    for _ in range(2):
        Client().post("/accounts/login/", {"login": user.email, "password": "wrong"})
    # ...and the next attempt is refused, even with the right password.
    refused = login({"email": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 60
    assert "Too many failed sign-in attempts" in refused.json()["detail"]
    assert not ApiToken.objects.exists()


def test_successful_sign_ins_are_limited_per_account(user, settings):
    settings.TOKEN_LOGIN_RATE_LIMIT = "2/h"
    assert login({"email": user.email, "password": PASSWORD}).status_code == 201
    assert login({"email": user.email, "password": PASSWORD}).status_code == 201
    refused = login({"email": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.has_header("Retry-After")
    assert ApiToken.objects.filter(user=user).count() == 2


def test_delete_revokes_the_token_used_and_only_that_one(user):
    first = login({"email": user.email, "password": PASSWORD}).json()["token"]
    second = login({"email": user.email, "password": PASSWORD}).json()["token"]
    response = Client().delete(URL, headers=bearer(first))
    assert response.status_code == 204
    assert Client().get("/api/v1/me", headers=bearer(first)).status_code == 401
    assert Client().get("/api/v1/me", headers=bearer(second)).status_code == 200
    assert ApiToken.objects.get(key_hash=hash_token(first)).status == "revoked"
    # The revoked token can't revoke anything again.
    assert Client().delete(URL, headers=bearer(first)).status_code == 401


def test_delete_without_a_token_is_refused(user):
    assert Client().delete(URL).status_code == 401
    browser = Client()
    browser.force_login(user)
    response = browser.delete(URL)
    assert response.status_code == 400
    assert "no token to revoke" in response.json()["detail"]


def test_the_schema_documents_both_operations_and_their_refusals():
    schema = Client().get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/auth/token"]["post"]
    assert {"201", "400", "401", "403", "429"} <= set(post["responses"])
    assert not post.get("security")
    assert "204" in schema["paths"]["/api/v1/auth/token"]["delete"]["responses"]


def test_a_user_without_a_usable_password_cannot_sign_in_by_password():
    user: User = UserFactory.create()
    user.set_unusable_password()
    user.save()
    assert login({"email": user.email, "password": ""}).status_code == 400
    assert login({"email": user.email, "password": "!"}).status_code == 401
