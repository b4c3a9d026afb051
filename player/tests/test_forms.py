"""The player bar's input goes through one form, and the API answers the protocol's state schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from player.forms import MODE_CHOICES, MusicForm
from player.protocol import MAX_VOLUME, MODES, PublishedState

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"command": "reboot"}, "Unknown player command"),
        ({"command": "seek"}, "needs a position ms"),
        ({"command": "play_index", "index": "two"}, "not a number"),
        ({"command": "set_mode", "mode": "shuffle"}, "Unknown mode"),
        ({"command": "settings", "volume": str(MAX_VOLUME + 1)}, f"between 0 and {MAX_VOLUME}"),
    ],
)
def test_bad_player_input_is_a_400_toast_before_anything_reaches_the_player(
    authed_client: Client, data: dict[str, str], reason: str
) -> None:
    # No player runs here: a request that got past the form would answer 503 "offline", not 400.
    response = authed_client.post("/player/music/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert reason in response["HX-Trigger"]
    assert response["HX-Reswap"] == "none"


def test_without_javascript_a_bad_command_comes_back_as_a_message_on_the_page(authed_client: Client) -> None:
    response = authed_client.post("/player/music/", {"command": "seek"}, HTTP_REFERER="http://testserver/player/")
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/player/"


def test_the_form_speaks_the_protocols_parameter_names() -> None:
    form = MusicForm({"command": "set_playlist", "playlist_id": "7", "play": "1"}).checked()
    assert form.params() == {"playlist_id": 7, "play": True}
    assert MusicForm({"command": "seek", "position_ms": "1500"}).checked().params() == {"ms": 1500}
    assert [value for value, _label in MODE_CHOICES] == list(MODES)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    name = schema["$ref"].rsplit("/", 1)[1]
    resolved: dict[str, Any] = spec["components"]["schemas"][name]
    return resolved


def test_the_api_documents_the_published_state_and_sends_it(authed_client: Client) -> None:
    spec = authed_client.get("/api/v1/openapi.json").json()
    ok = "responses", "200", "content", "application/json", "schema"

    def documented(path: str, method: str) -> dict[str, Any]:
        node = spec["paths"][path][method]
        for key in ok:
            node = node[key]
        return _resolve(spec, node)

    fields = set(PublishedState.model_fields)
    assert set(documented("/api/v1/player/pause", "post")["properties"]) == fields
    assert set(documented("/api/v1/player/state", "get")["properties"]) == fields | {"room", "online", "tracks"}
    # What /state sends (the player is offline here: the defaults) is what it documents.
    sent = authed_client.get("/api/v1/player/state").json()
    assert set(sent) == fields | {"room", "online", "tracks"}
    assert sent["online"] is False
