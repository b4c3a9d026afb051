"""Ready-made triggers: a sound's page and the profile show lines that work, with no secret but your own."""

from __future__ import annotations

import re
import shlex

import pytest
from django.test import Client

from accounts import triggers
from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from accounts.tests.test_tokens import reauthenticate
from sounds.models import JobState
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


def test_the_curl_line_is_one_post_with_the_token_header_whatever_the_address_holds():
    trigger = triggers.play_sound(base_url="http://sb.example:8000/", sound_id=12, sound_name="Air horn", token="sb_x")
    assert shlex.split(trigger.curl) == [
        "curl", "-fsS", "-X", "POST", "-H", "Authorization: Bearer sb_x", "http://sb.example:8000/api/v1/sounds/play/12",
    ]  # fmt: skip
    odd = triggers.play_sound(base_url="http://h/'; rm -rf ~; '", sound_id=1, sound_name="x")
    assert shlex.split(odd.curl)[-1] == "http://h/'; rm -rf ~; '/api/v1/sounds/play/1"


def test_home_assistant_gets_a_valid_service_name_from_any_sound_name():
    trigger = triggers.play_sound(base_url="http://h", sound_id=3, sound_name="Ça <b>marche</b>!! 🎺")
    assert trigger.service == "soundboard_a_b_marche_b"
    assert "  soundboard_a_b_marche_b:\n" in trigger.home_assistant
    assert '      authorization: "Bearer YOUR_TOKEN"\n' in trigger.home_assistant


def test_a_sounds_trigger_page_shows_its_lines_with_a_placeholder(authed_client):
    sound = SoundFactory.create(name="Airhorn")
    page = authed_client.get(f"/profile/triggers/{sound.pk}/").content.decode()
    assert f"http://testserver/api/v1/sounds/play/{sound.pk}" in page
    assert "Authorization: Bearer YOUR_TOKEN" in page
    assert "rest_command.soundboard_airhorn" in page


def test_choosing_a_token_names_it_but_never_shows_it_and_others_tokens_are_ignored(authed_client, user):
    sound = SoundFactory.create()
    mine, _ = ApiToken.issue(user=user, name="deck")
    theirs, their_raw = ApiToken.issue(user=UserFactory.create(), name="their secret deck")
    page = authed_client.get(f"/profile/triggers/{sound.pk}/?token={mine.pk}").content.decode()
    assert "your token “deck”" in page
    assert mine.prefix in page
    page = authed_client.get(f"/profile/triggers/{sound.pk}/?token={theirs.pk}").content.decode()
    assert "their secret deck" not in page
    assert theirs.prefix not in page
    assert their_raw not in page
    assert authed_client.get(f"/profile/triggers/{sound.pk}/?token=abc").status_code == 200


def test_a_new_token_made_for_a_trigger_fills_every_line_once(authed_client, user):
    sound = SoundFactory.create(name="Airhorn")
    stale = authed_client.post(f"/profile/triggers/{sound.pk}/", {"name": "Stream deck"})
    assert "/accounts/reauthenticate/" in stale["Location"]  # a session cookie alone mints no token
    assert not ApiToken.objects.filter(user=user).exists()
    reauthenticate(authed_client)
    response = authed_client.post(f"/profile/triggers/{sound.pk}/", {"name": "Stream deck"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user, name="Stream deck")
    page = response.content.decode()
    found = re.search(r"Authorization: Bearer (sb_[A-Za-z0-9_-]+)", page)
    assert found is not None
    raw = found.group(1)
    assert ApiToken.authenticate(raw) == user
    assert raw.startswith(token.prefix)
    assert page.count(raw) >= 3  # curl, the Stream Deck header, Home Assistant
    assert raw not in authed_client.get(f"/profile/triggers/{sound.pk}/").content.decode()


def test_a_blank_token_name_is_refused_and_makes_nothing(authed_client, user):
    sound = SoundFactory.create()
    reauthenticate(authed_client)
    response = authed_client.post(f"/profile/triggers/{sound.pk}/", {"name": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()  # the name is stripped: blank is empty
    assert not ApiToken.objects.filter(user=user).exists()


def test_unknown_and_hidden_sounds_have_no_trigger(authed_client):
    assert authed_client.get("/profile/triggers/424242/").status_code == 404
    hidden = SoundFactory.create(normalization_status=JobState.FAILED, uploaded_by=UserFactory.create())
    assert authed_client.get(f"/profile/triggers/{hidden.pk}/").status_code == 404
    assert authed_client.post(f"/profile/triggers/{hidden.pk}/", {"name": "x"}).status_code == 404


def test_making_a_trigger_token_needs_a_signed_in_session_with_its_csrf_token(user):
    sound = SoundFactory.create()
    assert "/accounts/login/" in Client().get(f"/profile/triggers/{sound.pk}/")["Location"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(f"/profile/triggers/{sound.pk}/", {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_profile_offers_a_random_sound_trigger_filled_in_after_a_new_token(authed_client):
    page = authed_client.get("/profile/").content.decode()
    assert "http://testserver/api/v1/sounds/play/random" in page
    assert "Authorization: Bearer YOUR_TOKEN" in page
    reauthenticate(authed_client)
    created = authed_client.post("/profile/tokens/", {"name": "deck"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Authorization: Bearer sb_" in created
    assert "YOUR_TOKEN" not in created
