"""Issue 10: playlists are capped, and the playlists API takes only numbers that can name a row."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from playlists import services
from playlists.models import Playlist
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999


def post(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/playlists/{path}", payload, content_type="application/json")


def test_a_full_playlist_refuses_one_more_entry_with_409(authed_client: Client, user: User, settings: Any) -> None:
    settings.PLAYLIST_MAX_ITEMS = 3
    playlist = services.create_playlist(owner=user, name="Short")
    sound = SoundFactory.create(name="Again")
    for _ in range(3):
        assert post(authed_client, f"{playlist.pk}/sounds", {"sound_id": sound.pk}).status_code == 201
    refused = post(authed_client, f"{playlist.pk}/sounds", {"sound_id": sound.pk})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "“Short” already has 3 entries, the most a playlist may hold."
    page = authed_client.post(f"/playlists/{playlist.pk}/add/", {"sound_id": sound.pk}, HTTP_HX_REQUEST="true")
    assert page.status_code == 409
    assert "the most a playlist may hold" in page["HX-Trigger"]
    assert playlist.items.count() == 3


def test_a_user_past_the_playlist_cap_gets_409_and_the_page_says_why(
    authed_client: Client, user: User, settings: Any
) -> None:
    settings.PLAYLISTS_PER_USER = 2
    assert post(authed_client, "", {"name": "One"}).status_code == 201
    assert post(authed_client, "", {"name": "Two"}).status_code == 201
    refused = post(authed_client, "", {"name": "Three"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "You already have 2 playlists, the most one person may keep; delete one first."
    # Without JavaScript the refusal is a message on the page the form was on.
    page = authed_client.post("/playlists/", {"name": "Three"}, HTTP_REFERER="http://testserver/playlists/")
    assert page.status_code == 302
    assert page["Location"] == "http://testserver/playlists/"
    assert "the most one person may keep" in authed_client.get("/playlists/").content.decode()
    assert Playlist.objects.filter(owner=user).count() == 2
    # Someone else still has room: the cap is per person.
    other = Client()
    other.force_login(User.objects.create_user(email="other@example.com", password="x" * 12))
    assert post(other, "", {"name": "Mine"}).status_code == 201


def test_huge_ids_are_400_not_500(authed_client: Client, user: User) -> None:
    playlist = services.create_playlist(owner=user, name="Mine")
    authed_client.raise_request_exception = False
    answers = [
        authed_client.get(f"/api/v1/playlists/{HUGE}"),
        authed_client.delete(f"/api/v1/playlists/{playlist.pk}/sounds/{HUGE}"),
        post(authed_client, f"{playlist.pk}/sounds", {"sound_id": HUGE}),
        authed_client.put(
            f"/api/v1/playlists/{playlist.pk}/order", {"item_ids": [HUGE]}, content_type="application/json"
        ),
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert all(a.json()["detail"] for a in answers)


def test_the_two_playlist_bodies_have_their_own_schema_names(authed_client: Client) -> None:
    spec = authed_client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def body(path: str, method: str) -> str:
        ref: str = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return ref.rsplit("/", 1)[-1]

    assert set(schemas[body("/api/v1/playlists/", "post")]["properties"]) == {"name", "description"}
    assert set(schemas[body("/api/v1/playlists/{playlist_id}", "patch")]["properties"]) == {"name", "description"}
    assert set(schemas[body("/api/v1/player/playlist", "post")]["properties"]) == {"playlist_id", "play"}
    assert schemas["VolumeIn"]["properties"]["volume"]["maximum"] == 100
    assert schemas["ModeIn"]["properties"]["mode"]["enum"] == ["continuous", "loop", "loop_one", "random", "single"]
    index = spec["paths"]["/api/v1/player/play/{index}"]["post"]["parameters"][0]["schema"]
    assert (index["minimum"], index["maximum"]) == (0, 99_999)
