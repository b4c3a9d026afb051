"""Issue 16, items 5, 10 and 13: people rename and delete their own uploads on the board; a blank name is
refused with a clear reason and the card stays; the board re-reads itself after a change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from sounds.models import Sound
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def triggers(response: Any) -> dict[str, Any]:
    return dict(json.loads(response.headers.get("HX-Trigger", "{}")))


def test_an_uploader_renames_their_own_sound_and_the_board_refreshes(user, sounds_root):
    sound = SoundFactory.create(name="Mine", uploaded_by=user)
    response = signed_in(user).post(f"/sounds/{sound.pk}/rename/", {"name": "  Still mine  "}, headers=HX)
    assert response.status_code == 204
    sent = triggers(response)
    assert sent["toasts"] == [{"message": "Renamed to “Still mine”.", "level": "success"}]
    assert set(sent) == {"toasts"}  # the live event refreshes every board, this one too: once
    sound.refresh_from_db()
    assert sound.name == "Still mine"


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_name_is_refused_with_the_reason_and_the_card_stays(user, sounds_root, blank):
    sound = SoundFactory.create(name="Keep me", uploaded_by=user)
    response = signed_in(user).post(f"/sounds/{sound.pk}/rename/", {"name": blank}, headers=HX)
    assert response.status_code == 400
    assert response.headers["HX-Reswap"] == "none"  # nothing is swapped over the card
    assert triggers(response)["toasts"] == [{"message": "Give the sound a name: it can't be blank.", "level": "error"}]
    sound.refresh_from_db()
    assert sound.name == "Keep me"


def test_a_name_too_long_says_so(user, sounds_root):
    sound = SoundFactory.create(name="Short", uploaded_by=user)
    response = signed_in(user).post(f"/sounds/{sound.pk}/rename/", {"name": "x" * 256}, headers=HX)
    assert response.status_code == 400
    assert "at most 255 characters" in triggers(response)["toasts"][0]["message"]


def test_an_uploader_deletes_their_own_sound(user, sounds_root):
    sound = SoundFactory.create(name="Oops", uploaded_by=user)
    response = signed_in(user).post(f"/sounds/{sound.pk}/delete/", headers=HX)
    assert response.status_code == 204
    assert set(triggers(response)) == {"toasts"}
    assert not Sound.objects.filter(pk=sound.pk).exists()


def test_nobody_else_may_rename_or_delete_and_the_menu_shows_only_to_the_uploader(user, sounds_root):
    sound = SoundFactory.create(name="Not yours", uploaded_by=user)
    other = signed_in(UserFactory.create())
    assert other.post(f"/sounds/{sound.pk}/rename/", {"name": "Mine now"}, headers=HX).status_code == 403
    assert other.post(f"/sounds/{sound.pk}/delete/", headers=HX).status_code == 403
    sound.refresh_from_db()
    assert sound.name == "Not yours"
    assert 'data-testid="manage-sound"' not in other.get("/").content.decode()
    assert 'data-testid="manage-sound"' in signed_in(user).get("/").content.decode()


def test_a_newcomer_is_told_what_a_click_costs_and_what_the_headphones_do_until_they_dismiss_it(user):
    client = signed_in(user)
    board = client.get("/").content.decode()
    assert 'data-testid="board-hint"' in board
    assert "everyone there hears it, and it costs 1 credit" in board
    assert "plays it only for you, on this device, free" in board
    assert client.post("/sounds/hint/dismiss/", headers=HX).status_code == 200
    assert 'data-testid="board-hint"' not in client.get("/").content.decode()
