"""Hotkeys and the board view: bindings per user, refusals with reasons, the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from board.models import BoardSettings, Hotkey
from sounds.models import Sound
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def horn() -> Sound:
    return SoundFactory.create(name="Horn")


@pytest.fixture
def bell() -> Sound:
    return SoundFactory.create(name="Bell")


def signed_in(user: User | None = None) -> tuple[Client, User]:
    user = user or UserFactory.create()
    client = Client()
    client.force_login(user)
    return client, user


def bind(client: Client, sound_id: object, key: object):
    return client.post("/board/hotkeys/bind/", {"sound_id": sound_id, "key": key}, HTTP_HX_REQUEST="true")


def toast(response) -> str:
    return json.loads(response["HX-Trigger"])["toasts"][0]["message"]


def test_a_key_binds_to_a_sound_and_the_board_learns_it(horn):
    client, _user = signed_in()
    response = bind(client, horn.pk, "H")  # upper case reads as lower case
    assert response.status_code == 204
    assert toast(response) == "Press H on the Soundboard to play “Horn”."
    assert json.loads(response["HX-Trigger"])["hotkeysChanged"] == {"map": {"h": horn.pk}}
    html = client.get("/").content.decode()
    assert f'<script id="hotkey-map" type="application/json">{{"h": {horn.pk}}}</script>' in html
    assert '<kbd class="sound-card__key" title="Hotkey">H</kbd>' in html
    # Another person's keys are their own.
    other, _ = signed_in()
    assert f'{{"h": {horn.pk}}}' not in other.get("/").content.decode()


def test_a_key_bound_twice_is_refused_naming_the_sound_it_plays(horn, bell):
    client, user = signed_in()
    bind(client, horn.pk, "1")
    response = bind(client, bell.pk, "1")
    assert response.status_code == 409
    assert toast(response) == "“1” already plays “Horn”: unbind it first, or pick another key."
    assert bind(client, horn.pk, "1").status_code == 204  # the same binding again changes nothing
    assert list(Hotkey.objects.filter(user=user).values_list("key", "sound_id")) == [("1", horn.pk)]


@pytest.mark.parametrize("key", ["0", "", " ", "ab", "?", "/", "é", "<b>"])
def test_keys_outside_1_to_9_and_a_to_z_are_refused(horn, key):
    client, _ = signed_in()
    response = bind(client, horn.pk, key)
    assert response.status_code == 400
    assert toast(response) == "Hotkeys are one key each: 1 to 9 or a to z."
    assert not Hotkey.objects.exists()


def test_binding_a_sound_that_is_gone_is_refused_and_a_deleted_sound_takes_its_keys(horn):
    client, _user = signed_in()
    response = bind(client, 987654, "a")
    assert response.status_code == 404
    assert "no longer exists" in toast(response)
    bind(client, horn.pk, "a")
    horn.delete()
    assert not Hotkey.objects.exists()


def test_unbinding_frees_the_key(horn):
    client, _ = signed_in()
    bind(client, horn.pk, "q")
    response = client.post("/board/hotkeys/q/unbind/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert toast(response) == "Q no longer plays “Horn”."
    assert client.post("/board/hotkeys/q/unbind/", HTTP_HX_REQUEST="true").status_code == 404


def test_the_api_reads_and_replaces_all_bindings(horn, bell):
    client, user = signed_in()
    put = client.put(
        "/api/v1/hotkeys",
        {"bindings": [{"key": "a", "sound_id": horn.pk}, {"key": "B", "sound_id": bell.pk}]},
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    assert client.get("/api/v1/hotkeys").json() == [
        {"key": "a", "sound_id": horn.pk, "sound_name": "Horn"},
        {"key": "b", "sound_id": bell.pk, "sound_name": "Bell"},
    ]
    twice = client.put(
        "/api/v1/hotkeys",
        {"bindings": [{"key": "c", "sound_id": horn.pk}, {"key": "C", "sound_id": bell.pk}]},
        content_type="application/json",
    )
    assert twice.status_code == 400
    assert twice.json()["detail"] == "“c” is bound twice: a key plays one sound."
    gone = client.put(
        "/api/v1/hotkeys", {"bindings": [{"key": "c", "sound_id": 987654}]}, content_type="application/json"
    )
    assert gone.status_code == 404
    assert "Nothing was changed" in gone.json()["detail"]
    bad = client.put(
        "/api/v1/hotkeys", {"bindings": [{"key": "0", "sound_id": horn.pk}]}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert Hotkey.objects.filter(user=user).count() == 2  # every refusal left the bindings as they were
    assert client.delete("/api/v1/hotkeys/a").json() == [{"key": "b", "sound_id": bell.pk, "sound_name": "Bell"}]


def test_the_view_toggle_is_remembered_per_user():
    client, user = signed_in()
    assert 'data-view="auto"' in client.get("/").content.decode()
    response = client.post("/board/view/", {"view": "grid"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"])["boardView"] == {"view": "grid"}
    assert 'data-view="grid"' in client.get("/").content.decode()
    assert client.post("/board/view/", {"view": "huge"}, HTTP_HX_REQUEST="true").status_code == 400
    assert BoardSettings.objects.get(user=user).view == "grid"
    other, _ = signed_in()
    assert 'data-view="auto"' in other.get("/").content.decode()


def test_the_shortcuts_page_lists_the_boards_keys_and_yours(horn):
    client, _ = signed_in()
    bind(client, horn.pk, "7")
    html = client.get("/board/hotkeys/").content.decode()
    assert "Search sounds" in html
    assert "Play or pause the music" in html
    assert '<kbd>7</kbd> <span class="hotkeys__name">Horn</span>' in html
