from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from sounds.models import Sort, Sound
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db


def names(html: str) -> list[str]:
    return re.findall(r'class="sound-card__name" title="[^"]*">([^<]*)<', html)


def test_the_library_is_the_signed_in_home(authed_client):
    SoundFactory.create(name="Air horn")
    html = authed_client.get("/").content.decode()
    assert names(html) == ["Air horn"]
    assert 'data-testid="result-count">1 sound<' in html


def test_an_empty_library_tells_staff_how_to_add_sounds():
    client = Client()
    client.force_login(UserFactory.create(is_staff=True))
    html = client.get("/").content.decode()
    assert 'data-testid="empty-library"' in html
    assert "Scan folders" in html
    client.force_login(UserFactory.create())
    html = client.get("/").content.decode()
    assert "Upload the first one" in html
    assert "scan_sounds" not in html


def test_type_chips_filter_several_types_at_once(authed_client):
    SoundFactory.create(name="Board", type="SDB")
    SoundFactory.create(name="Speech", type="TTS")
    SoundFactory.create(name="Video", type="EXT")
    html = authed_client.get("/?types=SDB&types=EXT").content.decode()
    assert names(html) == ["Board", "Video"]
    assert 'value="SDB" checked' in html
    assert 'value="TTS" checked' not in html


def test_search_ignores_case_and_accents(authed_client):
    SoundFactory.create(name="Café Crème")
    SoundFactory.create(name="Airhorn")
    html = authed_client.get("/?q=CAFE creme").content.decode()
    assert names(html) == ["Café Crème"]
    html = authed_client.get("/?q=crème", HTTP_HX_REQUEST="true").content.decode()
    assert names(html) == ["Café Crème"]
    assert "<html" not in html  # the partial only


def test_sorts(authed_client):
    SoundFactory.create(name="b", play_count=5, duration=100)
    SoundFactory.create(name="a", play_count=1, duration=900)
    SoundFactory.create(name="c", play_count=9, duration=500)
    assert names(authed_client.get("/?sort=name").content.decode()) == ["a", "b", "c"]
    assert names(authed_client.get("/?sort=popular").content.decode()) == ["c", "b", "a"]
    assert names(authed_client.get("/?sort=longest").content.decode()) == ["a", "c", "b"]
    assert names(authed_client.get("/?sort=newest").content.decode()) == ["c", "a", "b"]


def test_nonsense_filters_fall_back_instead_of_failing(authed_client):
    SoundFactory.create(name="x")
    for query in ["?sort=drop+table", "?page=-4", "?page=abc", "?types=ZZZ", "?q=" + "a" * 500]:
        response = authed_client.get("/" + query)
        assert response.status_code == 200, query


def test_pages_load_more_as_you_scroll(authed_client, settings):
    settings.SOUNDS_PAGE_SIZE = 2
    for i in range(5):
        SoundFactory.create(name=f"s{i}")
    first = authed_client.get("/").content.decode()
    assert names(first) == ["s0", "s1"]
    assert 'hx-trigger="revealed"' in first
    more = authed_client.get("/?page=2&more=1", HTTP_HX_REQUEST="true").content.decode()
    assert names(more) == ["s2", "s3"]
    assert 'id="results"' not in more
    last = authed_client.get("/?page=3&more=1", HTTP_HX_REQUEST="true").content.decode()
    assert names(last) == ["s4"]
    assert "revealed" not in last


def test_the_library_stays_at_a_few_queries_whatever_its_size(authed_client, django_assert_max_num_queries):
    Sound.objects.bulk_create(
        [Sound(name=f"n{i}", search_name=f"n{i}", filename=f"{i}.mp3", hash=f"{i:064x}") for i in range(300)]
    )
    authed_client.get("/")  # the steady state: the quiet-hours windows come from the cache after the first page
    # Three of them the board's: the user's stars, the page's tags and the tag chips; one the person's chosen room
    # (the rooms themselves come from the cache). sounds/tests/test_board_cards.py counts each exactly.
    with django_assert_max_num_queries(10):
        authed_client.get("/")


def test_names_are_escaped_in_the_grid(authed_client):
    SoundFactory.create(name="<img src=x onerror=alert(1)>")
    html = authed_client.get("/").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_staff_rename_and_delete_but_other_users_cannot(authed_client, sounds_root):
    sound = SoundFactory.create(name="Old")
    hx = {"HX-Request": "true"}
    assert authed_client.post(f"/sounds/{sound.pk}/rename/", {"name": "New"}, headers=hx).status_code == 403
    assert authed_client.post(f"/sounds/{sound.pk}/delete/", headers=hx).status_code == 403
    assert authed_client.post("/sounds/scan/").status_code == 403
    sound.refresh_from_db()
    assert sound.name == "Old"
    staff = Client()
    staff.force_login(UserFactory.create(is_staff=True))
    response = staff.post(f"/sounds/{sound.pk}/rename/", {"name": "New name"}, headers=hx)
    assert response.status_code == 204
    sound.refresh_from_db()
    assert sound.name == "New name"
    assert staff.post(f"/sounds/{sound.pk}/rename/", {"name": ""}, headers=hx).status_code == 400
    assert staff.post(f"/sounds/{sound.pk}/delete/", headers=hx).status_code == 204
    assert not Sound.objects.exists()
    assert staff.post("/sounds/999/delete/", headers=hx).status_code == 404
    assert staff.get(f"/sounds/{sound.pk}/delete/").status_code == 405


def test_the_page_offers_the_sorts_the_api_accepts(authed_client):
    page = authed_client.get("/").content.decode()
    spec = authed_client.get("/api/v1/openapi.json").json()
    param = next(p for p in spec["paths"]["/api/v1/sounds/"]["get"]["parameters"] if p["name"] == "sort")
    accepted = param["schema"].get("enum") or param["schema"]["allOf"][0]["enum"]
    assert accepted == Sort.values
    for value in accepted:
        assert f'<option value="{value}"' in page


def test_the_random_button_says_its_cost_once_on_the_page_and_in_a_search(authed_client):
    SoundFactory.create(name="Horn")
    for html in (
        authed_client.get("/").content.decode(),
        authed_client.get("/?q=horn", HTTP_HX_REQUEST="true").content.decode(),
    ):
        button = re.search(r'data-testid="play-random"[^>]*>([^<]*)<', html)
        assert button is not None
        assert button[1].strip() == "Random · 1 credit"
