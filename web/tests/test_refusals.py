"""One refusal path for HTML views: a UserError becomes a toast for htmx, a message and a redirect back otherwise."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient

from playlists.models import Playlist

pytestmark = pytest.mark.django_db


@pytest.fixture
def main_playlist(user):
    # The main playlist comes with the database; staff may edit it, but nobody may delete it.
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return Playlist.objects.get_or_create(is_main=True, defaults={"name": "Main playlist"})[0]


def toasts(response) -> list[dict[str, str]]:
    return json.loads(response["HX-Trigger"])["toasts"]


def test_a_refused_htmx_action_gets_its_status_and_an_error_toast_and_swaps_nothing(authed_client, main_playlist):
    response = authed_client.post(f"/playlists/{main_playlist.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert toasts(response) == [{"message": "The main playlist cannot be deleted.", "level": "error"}]
    assert response["HX-Reswap"] == "none"
    assert Playlist.objects.filter(pk=main_playlist.pk).exists()


def test_a_rate_limited_htmx_action_says_when_to_retry(authed_client, settings):
    settings.TTS_RATE_LIMIT = "1/m"
    line = {"text": "hello there", "voice": "en-us", "speed": 160}
    assert authed_client.post("/sounds/tts/", line, HTTP_HX_REQUEST="true").status_code == 200
    refused = authed_client.post("/sounds/tts/", {**line, "text": "hello again"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert toasts(refused)[0]["level"] == "error"


def test_not_enough_credits_is_a_402_toast(authed_client, user):
    user.credits = 0
    user.save(update_fields=["credits"])
    refused = authed_client.post(
        "/sounds/tts/", {"text": "hello", "voice": "en-us", "speed": 160}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 402
    assert "credits" in toasts(refused)[0]["message"]


def test_without_htmx_a_refusal_is_a_message_on_the_page_it_came_from(authed_client, main_playlist):
    page = f"http://testserver/playlists/{main_playlist.pk}/"
    response = authed_client.post(f"/playlists/{main_playlist.pk}/delete/", HTTP_REFERER=page)
    assert response.status_code == 302
    assert response["Location"] == page
    assert "The main playlist cannot be deleted." in authed_client.get(page).content.decode()


@pytest.mark.parametrize("referer", [None, "https://evil.example/phish"])
def test_without_a_page_of_ours_to_go_back_to_a_refusal_goes_home(authed_client, main_playlist, referer):
    extra = {"HTTP_REFERER": referer} if referer else {}
    response = authed_client.post(f"/playlists/{main_playlist.pk}/delete/", **extra)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "The main playlist cannot be deleted." in authed_client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
async def test_the_async_handler_refuses_the_same_way(user, main_playlist):
    # Under daphne the middleware chain runs async; the refusal must not depend on the mode.
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.post(f"/playlists/{main_playlist.pk}/delete/", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert toasts(response)[0]["message"] == "The main playlist cannot be deleted."
