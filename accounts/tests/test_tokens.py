from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, hash_token
from accounts.tests.factories import PASSWORD, UserFactory


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
def test_only_the_hash_of_a_token_is_stored(user):
    token, raw = ApiToken.issue(user=user, name="deck")
    assert raw.startswith("sb_")
    assert token.key_hash == hash_token(raw)
    assert raw not in {token.key_hash, token.prefix}
    assert ApiToken.objects.filter(key_hash=raw).count() == 0


@pytest.mark.django_db
def test_a_valid_token_reaches_the_api_and_records_its_use(user):
    token, raw = ApiToken.issue(user=user, name="deck")
    response = Client().get("/api/v1/me", headers=bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == user.email
    assert body["plan"] == {"code": "free", "name": "Free", "credits": 25, "max_credits": 75}
    assert body["credits"] == 25
    assert body["is_admin"] is False
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer sb_wrong", "Bearer ", "Bearer", "Basic dXNlcjpwdw==", "Bearer " + "x" * 5000, "Bearer sb_\x00"],
)
def test_wrong_or_malformed_tokens_get_401(header):
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db
def test_a_revoked_token_gets_401(user):
    token, raw = ApiToken.issue(user=user, name="deck")
    token.revoke()
    assert Client().get("/api/v1/me", headers=bearer(raw)).status_code == 401


@pytest.mark.django_db
def test_an_expired_token_gets_401(user):
    _, raw = ApiToken.issue(user=user, name="deck", expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get("/api/v1/me", headers=bearer(raw)).status_code == 401


@pytest.mark.django_db
def test_a_disabled_users_token_gets_401(user):
    _, raw = ApiToken.issue(user=user, name="deck")
    user.is_active = False
    user.save()
    assert Client().get("/api/v1/me", headers=bearer(raw)).status_code == 401


@pytest.mark.django_db
def test_a_bad_token_beside_a_valid_session_is_still_401(authed_client):
    # The header decides alone: a broken integration must not silently act as the browser's user.
    assert authed_client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sb_nope").status_code == 401


@pytest.mark.django_db
def test_session_auth_enforces_csrf_on_unsafe_methods(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/api/v1/socket/send-message", {"user_id": user.pk, "message": "hi"}, content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_anonymous_api_calls_get_401_in_json():
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def reauthenticate(client: Client) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content


@pytest.mark.django_db
def test_profile_creates_a_token_shown_once_and_lists_it(authed_client, user):
    reauthenticate(authed_client)
    response = authed_client.post(
        "/profile/tokens/", {"name": "stream deck", "expires_in": "30"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user)
    html = response.content.decode()
    raw = html.split('data-testid="new-token" id="new-token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert hash_token(raw) == token.key_hash
    assert token.expires_at is not None
    assert "toasts" in response["HX-Trigger"]
    # The next page view lists it but never shows the raw value again.
    page = authed_client.get("/profile/").content.decode()
    assert "stream deck" in page
    assert raw not in page


@pytest.mark.django_db
def test_a_token_without_a_name_is_refused_with_the_reason(authed_client, user):
    reauthenticate(authed_client)
    response = authed_client.post("/profile/tokens/", {"name": "   "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert (
        "Give the token a name." in response.content.decode() or "This field is required." in response.content.decode()
    )
    assert not ApiToken.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_a_user_revokes_their_token(authed_client, user):
    token, raw = ApiToken.issue(user=user, name="old")
    response = authed_client.post(f"/profile/tokens/{token.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.status == "revoked"
    assert Client().get("/api/v1/me", headers=bearer(raw)).status_code == 401


@pytest.mark.django_db
def test_nobody_can_revoke_another_users_token(authed_client):
    other_token, _ = ApiToken.issue(user=UserFactory.create(), name="theirs")
    response = authed_client.post(f"/profile/tokens/{other_token.pk}/revoke/")
    assert response.status_code == 404
    other_token.refresh_from_db()
    assert other_token.revoked_at is None


@pytest.mark.django_db
def test_revoking_needs_post(authed_client, user):
    token, _ = ApiToken.issue(user=user, name="t")
    assert authed_client.get(f"/profile/tokens/{token.pk}/revoke/").status_code == 405


@pytest.mark.django_db
def test_create_api_token_command_prints_a_working_token(user):
    out = StringIO()
    call_command("create_api_token", user.email.upper(), "--name", "ci", stdout=out)
    raw = out.getvalue().strip()
    assert Client().get("/api/v1/me", headers=bearer(raw)).json()["id"] == user.pk
    assert ApiToken.objects.get(user=user).name == "ci"


@pytest.mark.django_db
def test_create_api_token_command_rejects_an_unknown_email():
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "ghost@example.com")
