from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from playlists import services
from playlists.models import Playlist
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


def names(playlist: Playlist) -> list[str]:
    return list(playlist.items.order_by("position").values_list("sound__name", flat=True))


@pytest.fixture
def mine(user) -> Playlist:
    playlist = services.create_playlist(owner=user, name="  Friday   vibes ")
    for name in ["a", "b", "c"]:
        services.add_sound(playlist=playlist, sound_id=SoundFactory.create(name=name).pk)
    return playlist


def test_the_main_playlist_always_exists_and_cannot_be_deleted(staff):
    main = Playlist.objects.get(is_main=True)
    with pytest.raises(services.PlaylistError, match="cannot be deleted"):
        services.delete_playlist(playlist=main)
    client = Client()
    client.force_login(staff)
    assert client.delete(f"/api/v1/playlists/{main.pk}").status_code == 409


def test_creating_cleans_the_name_and_positions_follow_additions(mine):
    assert mine.name == "Friday vibes"
    assert list(mine.items.values_list("position", flat=True)) == [0, 1, 2]
    assert names(mine) == ["a", "b", "c"]
    assert mine.total_duration() == 4500


def test_reorder_move_and_remove_keep_positions_dense(mine):
    ids = list(mine.items.order_by("position").values_list("pk", flat=True))
    services.reorder(playlist=mine, item_ids=[ids[2], ids[0], ids[1]])
    assert names(mine) == ["c", "a", "b"]
    services.move(playlist=mine, item_id=ids[1], offset=-1)
    assert names(mine) == ["c", "b", "a"]
    services.move(playlist=mine, item_id=ids[2], offset=-1)  # already first: stays
    assert names(mine) == ["c", "b", "a"]
    services.remove_item(playlist=mine, item_id=ids[1])
    assert names(mine) == ["c", "a"]
    assert list(mine.items.order_by("position").values_list("position", flat=True)) == [0, 1]


@pytest.mark.parametrize("bad", [[], [100001, 100002, 100003], "dupe"])
def test_a_wrong_order_is_refused(mine, bad):
    ids = list(mine.items.values_list("pk", flat=True))
    order = [ids[0], ids[0], ids[1]] if bad == "dupe" else bad
    with pytest.raises(services.PlaylistError, match="exactly once"):
        services.reorder(playlist=mine, item_ids=order)


def test_pages_add_remove_and_reorder_with_htmx(authed_client, mine):
    sound = SoundFactory.create(name="New <b>one</b>")
    url = f"/playlists/{mine.pk}/"
    assert authed_client.get(url).status_code == 200
    picker = authed_client.get(f"{url}picker/?q=new", HTTP_HX_REQUEST="true").content.decode()
    assert "New &lt;b&gt;one&lt;/b&gt;" in picker
    response = authed_client.post(f"{url}add/", {"sound_id": sound.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert names(mine)[-1] == "New <b>one</b>"
    ids = list(mine.items.order_by("position").values_list("pk", flat=True))
    response = authed_client.post(f"{url}order/", {"item": list(reversed(ids))}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert names(mine)[0] == "New <b>one</b>"
    authed_client.post(f"{url}items/{ids[-1]}/move/", {"direction": "down"}, HTTP_HX_REQUEST="true")
    assert names(mine)[1] == "New <b>one</b>"
    assert authed_client.post(f"{url}items/{ids[0]}/move/", {"direction": "sideways"}).status_code == 302
    assert authed_client.post(f"{url}add/", {"sound_id": "x"}, HTTP_HX_REQUEST="true").status_code == 400
    assert authed_client.post(f"{url}add/", {"sound_id": 99999}, HTTP_HX_REQUEST="true").status_code == 404


def test_only_owners_and_staff_edit_but_everyone_sees(mine):
    stranger = Client()
    stranger.force_login(UserFactory.create())
    assert stranger.get(f"/playlists/{mine.pk}/").status_code == 200
    assert stranger.post(f"/playlists/{mine.pk}/add/", {"sound_id": SoundFactory.create().pk}).status_code == 404
    assert stranger.post(f"/playlists/{mine.pk}/delete/").status_code == 404
    assert (
        stranger.patch(
            f"/api/v1/playlists/{mine.pk}", {"name": "mine now"}, content_type="application/json"
        ).status_code
        == 403
    )
    staff = Client()
    staff.force_login(UserFactory.create(is_staff=True))
    assert (
        staff.patch(f"/api/v1/playlists/{mine.pk}", {"name": "Renamed"}, content_type="application/json").status_code
        == 200
    )
    mine.refresh_from_db()
    assert mine.name == "Renamed"


def test_the_list_page_creates_playlists_and_explains_errors(authed_client, user):
    response = authed_client.post("/playlists/", {"name": "   "})
    assert response.status_code == 400
    response = authed_client.post("/playlists/", {"name": "Road trip"})
    assert response.status_code == 302
    playlist = Playlist.objects.get(name="Road trip")
    assert playlist.owner == user
    html = authed_client.get("/playlists/").content.decode()
    assert "Road trip" in html
    assert "Main playlist" in html


def test_the_api_covers_the_same_operations(authed_client):
    created = authed_client.post("/api/v1/playlists/", {"name": "API list"}, content_type="application/json")
    assert created.status_code == 201
    pid = created.json()["id"]
    sound = SoundFactory.create(name="s")
    added = authed_client.post(
        f"/api/v1/playlists/{pid}/sounds", {"sound_id": sound.pk}, content_type="application/json"
    )
    assert added.status_code == 201
    item_id = added.json()["items"][0]["id"]
    assert authed_client.get(f"/api/v1/playlists/{pid}").json()["length"] == 1
    assert (
        authed_client.put(
            f"/api/v1/playlists/{pid}/order", {"item_ids": [item_id, 5]}, content_type="application/json"
        ).status_code
        == 400
    )
    assert authed_client.delete(f"/api/v1/playlists/{pid}/sounds/{item_id}").json()["length"] == 0
    assert authed_client.post("/api/v1/playlists/", {"name": ""}, content_type="application/json").status_code == 400
    assert authed_client.delete(f"/api/v1/playlists/{pid}").status_code == 204
    assert authed_client.get(f"/api/v1/playlists/{pid}").status_code == 404
    assert {p["name"] for p in authed_client.get("/api/v1/playlists/").json()} == {"Main playlist"}
