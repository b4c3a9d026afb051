"""Favourites, tags and the board's filters through the JSON API."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from sounds import browse
from sounds.faces import clean_emoji
from sounds.models import Favorite, JobState, Sound
from sounds.tags import Tag, clean_tag
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


def tag(sound: Sound, *names: str) -> Sound:
    sound.tags.set([Tag.objects.get_or_create(name=clean_tag(name))[0] for name in names])
    return sound


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def test_a_star_shows_in_the_list_and_filters_it(authed_client, user):
    horn, bell = SoundFactory.create(name="Horn"), SoundFactory.create(name="Bell")
    response = authed_client.post(f"/api/v1/sounds/{horn.pk}/favorite")
    assert response.status_code == 200
    assert response.json() == {"detail": "“Horn” is in your favourites.", "sound_id": horn.pk, "is_favorite": True}
    assert authed_client.post(f"/api/v1/sounds/{horn.pk}/favorite").status_code == 200  # again: no change
    assert Favorite.objects.filter(user=user).count() == 1
    items = authed_client.get("/api/v1/sounds/").json()["items"]
    assert {i["name"]: i["is_favorite"] for i in items} == {"Bell": False, "Horn": True}
    assert names(authed_client.get("/api/v1/sounds/?favorites=true")) == ["Horn"]
    # Someone else's stars are theirs.
    other = Client()
    other.force_login(UserFactory.create())
    assert names(other.get("/api/v1/sounds/?favorites=true")) == []
    assert not any(i["is_favorite"] for i in other.get("/api/v1/sounds/").json()["items"])
    assert bell.pk


def test_unstarring_is_idempotent_and_a_vanished_sound_is_404(authed_client, user):
    horn = SoundFactory.create(name="Horn")
    authed_client.post(f"/api/v1/sounds/{horn.pk}/favorite")
    response = authed_client.delete(f"/api/v1/sounds/{horn.pk}/favorite")
    assert response.status_code == 200
    assert response.json()["is_favorite"] is False
    assert authed_client.delete(f"/api/v1/sounds/{horn.pk}/favorite").status_code == 200
    assert not Favorite.objects.exists()
    gone = horn.pk
    horn.delete()
    for method in (authed_client.post, authed_client.delete):
        response = method(f"/api/v1/sounds/{gone}/favorite")
        assert response.status_code == 404
        assert "deleted" in response.json()["detail"]
    assert authed_client.post("/api/v1/sounds/99999999999999999999/favorite").status_code in (400, 404)
    assert not Favorite.objects.exists()


def test_a_starred_sound_deleted_later_leaves_no_star(authed_client, user):
    horn = SoundFactory.create(name="Horn")
    authed_client.post(f"/api/v1/sounds/{horn.pk}/favorite")
    horn.delete()
    assert not Favorite.objects.exists()
    assert names(authed_client.get("/api/v1/sounds/?favorites=true")) == []


def test_a_sound_hidden_from_the_user_cannot_be_starred(authed_client):
    broken = SoundFactory.create(name="Broken", normalization_status=JobState.FAILED, is_normalized=False)
    assert authed_client.post(f"/api/v1/sounds/{broken.pk}/favorite").status_code == 404


def test_tags_filter_with_all_given_combined_with_types_and_search(authed_client):
    horn = tag(SoundFactory.create(name="Air horn", type="SDB"), "Memes", "loud")
    tag(SoundFactory.create(name="Horn solo", type="TTS"), "memes")
    tag(SoundFactory.create(name="Bell", type="SDB"), "loud")
    items = authed_client.get("/api/v1/sounds/?tags=memes").json()["items"]
    assert [i["name"] for i in items] == ["Air horn", "Horn solo"]
    assert items[0]["tags"] == ["loud", "memes"] or sorted(items[0]["tags"]) == ["loud", "memes"]
    assert names(authed_client.get("/api/v1/sounds/?tags=memes&tags=loud")) == ["Air horn"]
    assert names(authed_client.get("/api/v1/sounds/?tags=MEMES&types=TTS")) == ["Horn solo"]
    assert names(authed_client.get("/api/v1/sounds/?tags=loud&q=bel")) == ["Bell"]
    assert names(authed_client.get("/api/v1/sounds/?tags=nope")) == []
    assert names(authed_client.get("/api/v1/sounds/?tags=%3Cb%3E")) == []  # can't be a tag: matches nothing
    assert horn.tags.count() == 2


def test_too_many_tags_in_a_filter_is_400(authed_client):
    query = "&".join(f"tags=t{i}" for i in range(100))
    response = authed_client.get(f"/api/v1/sounds/?{query}")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_the_tags_list_counts_sounds_and_skips_unused_tags(authed_client):
    tag(SoundFactory.create(), "memes", "loud")
    tag(SoundFactory.create(), "memes")
    Tag.objects.create(name="orphan")
    response = authed_client.get("/api/v1/tags")
    assert response.status_code == 200
    assert response.json() == [{"name": "loud", "sounds": 1}, {"name": "memes", "sounds": 2}]


def test_sound_json_carries_the_board_details(authed_client, user):
    sound = SoundFactory.create(name="Horn", uploaded_by=user, volume=150, cooldown_s=30, emoji="📯", color="#ff0000")
    item = authed_client.get("/api/v1/sounds/").json()["items"][0]
    assert item["volume"] == 150
    assert item["cooldown_s"] == 30
    assert item["cooldown_remaining_s"] == 0
    assert (item["emoji"], item["color"]) == ("📯", "#ff0000")
    assert item["uploaded_by"] == user.display_name
    assert item["tags"] == []
    assert item["is_favorite"] is False
    assert sound.pk == item["id"]


def test_a_new_sound_takes_the_sites_default_cooldown(settings):
    settings.SOUND_COOLDOWN_S = 12
    assert SoundFactory.create().cooldown_s == 12


def test_listing_a_page_costs_a_fixed_number_of_queries(authed_client, user, django_assert_max_num_queries):
    for i in range(30):
        tag(SoundFactory.create(uploaded_by=user), f"t{i % 3}")
        browse.set_favorite(user=user, sound_id=Sound.objects.latest("id").pk, on=True)
    with django_assert_max_num_queries(8):
        items = authed_client.get("/api/v1/sounds/?page_size=30").json()["items"]
    assert len(items) == 30
    assert all(i["is_favorite"] and i["tags"] for i in items)


def patch(client: Client, sound: Sound, **body: object):
    return client.patch(f"/api/v1/sounds/{sound.pk}", body, content_type="application/json")


def test_the_uploader_sets_tags_volume_cooldown_and_face(authed_client, user):
    sound = SoundFactory.create(name="Horn", uploaded_by=user)
    response = patch(
        authed_client, sound, tags=[" Star  Wars ", "memes", "MEMES"], volume=150, cooldown_s=20, emoji="📯",
        color="#FF8800", name="Big horn",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(body["tags"]) == ["memes", "star wars"]
    assert (body["volume"], body["cooldown_s"], body["emoji"], body["color"], body["name"]) == (
        150, 20, "📯", "#ff8800", "Big horn",
    )  # fmt: skip
    # Tags replace the set; an empty list clears it, and the face can be cleared.
    body = patch(authed_client, sound, tags=["memes"], emoji="", color="").json()
    assert (body["tags"], body["emoji"], body["color"], body["volume"]) == (["memes"], "", "", 150)
    assert patch(authed_client, sound, tags=[]).json()["tags"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tags": [""]}, "A tag can't be empty."),
        ({"tags": ["   "]}, "A tag can't be empty."),
        ({"tags": [f"t{i}" for i in range(100)]}, "at most"),
        ({"tags": [f"t{i}" for i in range(11)]}, "A sound has at most 10 tags."),
        ({"tags": ["x" * 200]}, "A tag has at most 32 characters"),
        ({"tags": ["<b>bold</b>"]}, "is not a tag"),
        ({"tags": ["<script>alert(1)</script>"]}, "is not a tag"),
        ({"tags": ["a,b"]}, "is not a tag"),
        ({"volume": 201}, "Volume is a percentage from 0 to 200."),
        ({"volume": -1}, "Volume is a percentage from 0 to 200."),
        ({"volume": True}, "volume: Input should be a valid integer"),
        ({"volume": "loud"}, "volume"),
        ({"cooldown_s": -5}, "The cooldown is a number of seconds from 0 to 86400"),
        ({"cooldown_s": 10**20}, "cooldown"),
        ({"emoji": "ab"}, "Choose one emoji"),
        ({"emoji": "📯📯"}, "Choose one emoji"),
        ({"emoji": "<img src=x>"}, "Choose one emoji"),
        ({"color": "red"}, "#rrggbb"),
        ({"color": "#12345g"}, "#rrggbb"),
        ({"color": "#fff;background:url(x)"}, "#rrggbb"),
        ({"tags": None}, "null"),
        ({"volume": 150, "tags": ["ok", "<bad>"]}, "is not a tag"),
    ],
)
def test_bad_edits_are_400_with_the_reason_and_change_nothing(authed_client, user, body, message):
    sound = SoundFactory.create(name="Horn", uploaded_by=user, volume=100, cooldown_s=0)
    sound.tags.add(Tag.objects.create(name="keep"))
    response = authed_client.patch(f"/api/v1/sounds/{sound.pk}", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    sound.refresh_from_db()
    assert (sound.volume, sound.cooldown_s, sound.emoji, sound.color) == (100, 0, "", "")
    assert [t.name for t in sound.tags.all()] == ["keep"]


def test_faces_accept_real_emoji():
    for emoji in ("📯", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️", "🏳️‍🌈"):
        assert clean_emoji(emoji) == emoji


def test_only_the_uploader_and_staff_edit_a_sound(authed_client, user, staff):
    theirs = SoundFactory.create(uploaded_by=UserFactory.create())
    response = patch(authed_client, theirs, volume=50)
    assert response.status_code == 403
    assert "Only the person who added this sound" in response.json()["detail"]
    admin = Client()
    admin.force_login(staff)
    assert patch(admin, theirs, volume=50, tags=["staff pick"]).json()["volume"] == 50
    assert patch(authed_client, SoundFactory.build(pk=987654), volume=50).status_code == 404
