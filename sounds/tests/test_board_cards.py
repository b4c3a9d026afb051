"""Issue 15, target 1: the board's cards are lean (one form and one menu per board, fragments reused), its
queries few and fixed, and every card still shows what it showed: per person (star, hotkey, edit menu) and per
sound (a change shows at once, however the fragments are cached)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from board.models import Hotkey
from sounds import browse
from sounds.models import Favorite, Sound, SoundType
from sounds.tags import Tag
from sounds.tests.factories import SoundFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
# Bytes of HTML per card: budgets, so that markup creeping back into every card fails here. Issue 15 asks for
# about 1 KB; the board's cards were 5.5 KB each (every card carried its menus and forms).
CARD_BUDGET = 1_430  # the average card of an ordinary board (see the test), its ids counted as four digits
HEAVIEST_CARD_BUDGET = 2_300  # a card showing everything a card can show
# User, hotkeys, count, page, its tags, its stars; the full page adds the view, the person's room and the recent
# plays. The tag chips' count is read once per change of the tags (sounds/tagfilter.py).
PAGE_QUERIES = 9
SEARCH_QUERIES = 6


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cards(html: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<article [^>]*id="sound-(\d+)".*?</article>', html, re.S)}


def ordinary_library(count: int) -> None:
    """Like the benchmark's: names, types, lengths, plays, most sounds ready, up to three tags each."""
    tags = [Tag.objects.create(name=f"tag {i:03d}") for i in range(4)]
    sounds = Sound.objects.bulk_create(
        Sound(
            name=f"Retro airhorn {i}",
            search_name=f"retro airhorn {i}",
            filename=f"{i}.mp3",
            hash=f"{i:064x}",
            type=[SoundType.SDB, SoundType.TTS, SoundType.EXT][i % 3],
            duration=1000 + 997 * i,
            play_count=i * 7,
            is_normalized=i % 5 != 0,
            normalization_status="done" if i % 5 else "pending",
        )
        for i in range(count)
    )
    for i, sound in enumerate(sounds):
        sound.tags.set(tags[: i % 4])


def library(count: int, uploader: User) -> list[Sound]:
    tags = [Tag.objects.create(name=f"tag number {i}") for i in range(3)]
    sounds = Sound.objects.bulk_create(
        Sound(
            name=f"A sound with a name of ordinary length {i:03d}",
            search_name=f"a sound with a name of ordinary length {i:03d}",
            filename=f"{i}.mp3",
            hash=f"{i:064x}",
            type=SoundType.EXT,
            duration=12_345,
            play_count=1234,
            is_normalized=True,
            normalization_status="done",
            thumbnail="thumbs/x.jpg",
            emoji="📯",
            color="#e11d48",
            uploaded_by=uploader,
            next_play_at=timezone.now() + timedelta(minutes=5),
        )
        for i in range(count)
    )
    for sound in sounds:
        sound.tags.set(tags)
    return sounds


def test_an_ordinary_boards_cards_stay_within_their_byte_budget(user):
    ordinary_library(60)
    Favorite.objects.bulk_create(Favorite(user=user, sound=s) for s in Sound.objects.all()[:10])
    found = cards(signed_in(user).get("/").content.decode())
    assert len(found) == 60
    # A card names its sound's id several times: count each as four digits (a board of thousands), so the budget
    # means the same on SQLite, whose ids here are 1-60, and PostgreSQL, whose sequences run on across tests.
    sized = [re.sub(rf"(?<!\d){pk}(?!\d)", "1000", card) for pk, card in found.items()]
    average = sum(len(card.encode()) for card in sized) / len(sized)
    assert average <= CARD_BUDGET, f"{average:.0f} bytes a card"


def test_the_heaviest_card_stays_within_its_byte_budget(staff):
    # Staff see every card's edit menu; this sound has every detail a card can show: thumbnail, emoji, colour,
    # uploader, three tags, a running cooldown, a star and a hotkey.
    sounds = library(60, staff)
    Favorite.objects.bulk_create(Favorite(user=staff, sound=s) for s in sounds)
    Hotkey.objects.create(user=staff, key="h", sound=sounds[0])
    html = signed_in(staff).get("/").content.decode()
    found = cards(html)
    assert len(found) == 60
    heaviest = max(len(card.encode()) for card in found.values())
    assert heaviest <= HEAVIEST_CARD_BUDGET, f"{heaviest} bytes in a card"
    for part in ('data-testid="thumbnail"', 'data-testid="sound-emoji"', "#tag number 2", "data-cooldown-until"):
        assert part in found[str(sounds[0].pk)]


def test_the_board_holds_one_form_for_its_cards_whatever_their_number(user):
    library(60, user)
    html = signed_in(user).get("/?q=ordinary", headers=HX).content.decode()
    assert len(cards(html)) == 60
    assert html.count("<form") == 2  # the cards' form and the Random button's
    assert html.count('name="csrfmiddlewaretoken"') == 2
    assert html.count('form="card-actions"') == 120  # each card's play button and star


@pytest.mark.parametrize("size", [3, 300])
def test_the_page_and_a_search_take_a_fixed_number_of_queries(user, size, django_assert_num_queries):
    library(size, user)
    client = signed_in(user)
    client.get("/")  # the steady state: the quiet-hours windows come from the cache after the first page
    with django_assert_num_queries(PAGE_QUERIES):
        client.get("/")
    with django_assert_num_queries(SEARCH_QUERIES):
        client.get("/?q=ordinary", headers=HX)


def test_stars_hotkeys_and_edit_menus_are_each_persons_own(user):
    other = UserFactory.create()
    mine = SoundFactory.create(name="Mine", uploaded_by=user)
    theirs = SoundFactory.create(name="Theirs", uploaded_by=other)
    Favorite.objects.create(user=user, sound=theirs)
    Hotkey.objects.create(user=other, key="m", sound=mine)
    for _ in range(2):  # the second time from the fragments cached by the first
        as_me = cards(signed_in(user).get("/").content.decode())
        as_them = cards(signed_in(other).get("/").content.decode())
        assert 'aria-pressed="true"' in as_me[str(theirs.pk)]
        assert 'aria-pressed="false"' in as_them[str(theirs.pk)]
        assert 'data-testid="manage-sound"' in as_me[str(mine.pk)]
        assert 'data-testid="manage-sound"' not in as_me[str(theirs.pk)]
        assert 'data-testid="manage-sound"' in as_them[str(theirs.pk)]
        assert "sound-card__key" not in as_me[str(mine.pk)]
        assert '<kbd class="sound-card__key" title="Hotkey">M</kbd>' in as_them[str(mine.pk)]


def test_a_changed_sound_shows_at_once_on_every_board(user):
    sound = SoundFactory.create(name="Before", is_normalized=False, normalization_status="pending")
    client = signed_in(user)
    assert ">Before</span>" in cards(client.get("/").content.decode())[str(sound.pk)]
    Sound.objects.filter(pk=sound.pk).update(
        name="After", play_count=7, is_normalized=True, normalization_status="done", emoji="🎺"
    )
    sound.tags.add(Tag.objects.create(name="brass"))
    card = cards(client.get("/").content.decode())[str(sound.pk)]
    assert "Before" not in card
    assert "🎺</span> After</span>" in card
    assert f'<span id="sound-{sound.pk}-plays">7</span>' in card
    assert ">ready</span>" in card
    assert "#brass" in card


def test_a_cooldown_shows_only_while_it_runs(user):
    sound = SoundFactory.create(next_play_at=timezone.now() + timedelta(seconds=30))
    client = signed_in(user)
    assert "data-cooldown-until" in cards(client.get("/").content.decode())[str(sound.pk)]
    Sound.objects.filter(pk=sound.pk).update(next_play_at=timezone.now() - timedelta(seconds=1))
    assert "data-cooldown-until" not in cards(client.get("/").content.decode())[str(sound.pk)]


def test_names_are_escaped_in_every_fragment(user):
    sound = SoundFactory.create(name='<img src=x onerror=alert(1)> "quoted"', uploaded_by=user)
    card = cards(signed_in(user).get("/").content.decode())[str(sound.pk)]
    assert "<img src=x" not in card
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;" in card
    assert "<!--key-->" not in card


# --- The star (the cards' form) ----------------------------------------------------------------------------
def test_the_star_comes_back_pressed_in_place(user):
    sound = SoundFactory.create(name="Horn")
    client = signed_in(user)
    response = client.post(f"/sounds/{sound.pk}/favorite/", {"on": "1"}, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="star-{sound.pk}" hx-swap-oob="morph"' in html
    assert 'aria-pressed="true"' in html
    assert browse.favorite_ids(user.pk) == {sound.pk}
    response = client.post(f"/sounds/{sound.pk}/favorite/", headers=HX)
    assert 'aria-pressed="false"' in response.content.decode()
    assert browse.favorite_ids(user.pk) == set()


def test_the_star_without_javascript_goes_back_to_the_board(user):
    sound = SoundFactory.create()
    response = signed_in(user).post(f"/sounds/{sound.pk}/favorite/", {"on": "1"})
    assert response.status_code == 302
    assert browse.favorite_ids(user.pk) == {sound.pk}


def test_the_star_of_a_sound_that_vanished_is_a_404_and_stars_nothing(user):
    response = signed_in(user).post("/sounds/999999/favorite/", {"on": "1"}, headers=HX)
    assert response.status_code == 404
    assert not Favorite.objects.exists()


# --- The board's one menu --------------------------------------------------------------------------------
def test_a_cards_menu_is_fetched_for_its_sound(user):
    sound = SoundFactory.create(name="Horn")
    response = signed_in(user).get(f"/sounds/{sound.pk}/menu/?part=queue", headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'name="sound_id" value="{sound.pk}"' in html
    for testid in ("play-next", "add-to-queue", "trigger-link", "hotkey-input"):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="delete-sound"' not in html


def test_the_manage_menu_is_the_uploaders_and_staffs_only(user, staff):
    sound = SoundFactory.create(name="Horn", uploaded_by=user)
    url = f"/sounds/{sound.pk}/menu/?part=manage"
    html = signed_in(user).get(url, headers=HX).content.decode()
    assert f'action="/sounds/{sound.pk}/delete/"' in html
    assert "Even out the loudness again" not in html  # staff's
    assert "Even out the loudness again" in signed_in(staff).get(url, headers=HX).content.decode()
    refused = signed_in(UserFactory.create()).get(url, headers=HX)
    assert refused.status_code == 403
    assert "toasts" in refused.headers["HX-Trigger"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/sounds/999999/menu/?part=queue", 404),
        ("/sounds/999999/menu/?part=manage", 404),
        ("/sounds/{pk}/menu/?part=everything", 400),
        ("/sounds/{pk}/menu/?part=<script>", 400),
        ("/sounds/99999999999999999999/menu/", 404),
    ],
)
def test_a_menu_for_no_sound_or_no_such_part_is_refused(user, url, status):
    sound = SoundFactory.create()
    response = signed_in(user).get(url.format(pk=sound.pk), headers=HX)
    assert response.status_code == status


def test_without_javascript_a_cards_menu_is_a_page_with_both_menus(user):
    sound = SoundFactory.create(name="Horn", uploaded_by=user)
    html = signed_in(user).get(f"/sounds/{sound.pk}/menu/").content.decode()
    assert "<html" in html
    assert 'data-testid="play-next"' in html
    assert 'data-testid="delete-sound"' in html
    html = signed_in(UserFactory.create()).get(f"/sounds/{sound.pk}/menu/").content.decode()
    assert 'data-testid="play-next"' in html
    assert 'data-testid="delete-sound"' not in html


def test_a_sound_only_its_uploader_and_staff_see_has_no_menu_for_others(user):
    failed = SoundFactory.create(uploaded_by=user, normalization_status="failed", is_normalized=False)
    assert signed_in(user).get(f"/sounds/{failed.pk}/menu/?part=queue", headers=HX).status_code == 200
    other = signed_in(UserFactory.create())
    assert other.get(f"/sounds/{failed.pk}/menu/?part=queue", headers=HX).status_code == 404


# --- The tag chips (sounds/tagfilter.py) --------------------------------------------------------------------
def chips(html: str) -> list[str]:
    return re.findall(r'name="tags" value="([^"]*)"', html)


def test_the_tag_chips_follow_every_change_of_the_tags(user):
    client = signed_in(user)
    horn = SoundFactory.create(name="Horn")
    bell = SoundFactory.create(name="Bell")
    assert chips(client.get("/").content.decode()) == []
    horn.tags.add(Tag.objects.create(name="loud"))
    assert chips(client.get("/").content.decode()) == ["loud"]
    bell.tags.add(Tag.objects.create(name="brass"), Tag.objects.get(name="loud"))
    page = client.get("/").content.decode()
    assert chips(page) == ["brass", "loud"]
    assert '#loud <small class="muted tag-filter__uses">2</small>' in page
    Tag.objects.filter(name="brass").update(name="metal")  # no signal: a bulk update says nothing
    Tag.objects.get(name="metal").save()  # a save (the admin's) does
    assert chips(client.get("/").content.decode()) == ["loud", "metal"]
    bell.tags.remove(Tag.objects.get(name="metal"))
    assert chips(client.get("/").content.decode()) == ["loud"]
    bell.delete()
    assert '#loud <small class="muted tag-filter__uses">1</small>' in client.get("/").content.decode()
    Tag.objects.get(name="loud").delete()
    assert chips(client.get("/").content.decode()) == []


def test_the_chosen_tags_are_ticked_and_the_chips_drawn_once(user, django_assert_num_queries):
    SoundFactory.create().tags.add(Tag.objects.create(name="loud"), Tag.objects.create(name="brass"))
    client = signed_in(user)
    page = client.get("/?tags=loud").content.decode()
    assert 'value="loud" checked' in page
    assert 'value="brass" checked' not in page
    assert 'value="brass" checked' in client.get("/?tags=brass").content.decode()
    with django_assert_num_queries(PAGE_QUERIES):  # the chips' count is not read again
        client.get("/?tags=loud")
