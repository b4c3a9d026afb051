"""Issue 16, "fix what new users tripped on": each problem, tried as a person would, in Chromium."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from sounds.tests import media
from tests.e2e.conftest import LiveApp, sign_up, unique_email


def upload(page: Page, files: list[Path]) -> None:
    page.goto("/")
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(f) for f in files])
    page.get_by_test_id("upload-submit").click()


def playlist_of(live_app: LiveApp, owner: str, name: str, sounds: list[str]) -> int:
    """A playlist made directly (the playlist page has its own tests): its id."""
    out = live_app.shell(
        "from playlists import services; from sounds.models import Sound; from accounts.models import User\n"
        f"p = services.create_playlist(owner=User.objects.get(email={owner!r}), name={name!r})\n"
        f"for n in {sounds!r}: services.add_sound(playlist=p, sound_id=Sound.objects.get(name=n).pk)\n"
        "print(p.pk)"
    )
    return int(out.strip().splitlines()[-1])


def test_the_volume_slider_keeps_the_keyboard_while_the_music_plays(new_context, live_app, tmp_path):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    email = unique_email("focus")
    sign_up(page, email)
    upload(page, [media.tone(tmp_path / "Long focus.wav", 30.0, freq=330)])
    expect(page.get_by_test_id("sound-card").filter(has_text="Long focus")).to_be_visible()
    playlist = playlist_of(live_app, email, "Focus", ["Long focus"])
    page.goto(f"/playlists/{playlist}/")
    page.get_by_test_id("play-playlist").click()
    bar = page.get_by_test_id("player-bar")
    expect(bar).to_have_attribute("data-status", "playing")

    slider = page.get_by_test_id("player-volume")
    start = int(slider.input_value())
    if start > 80:  # room for ten steps up
        slider.fill("50")
        expect(slider).to_have_value("50")
        start = 50
    handle = slider.element_handle()
    slider.focus()
    position = page.get_by_test_id("player-position")
    for step in range(10):
        if step % 4 == 0:  # the bar's live updates keep coming while the slider has the keyboard
            shown = position.inner_text()
            expect(position).not_to_have_text(shown)
        page.keyboard.press("ArrowRight")
    # The very element kept the focus and counted every press.
    assert page.evaluate("el => el.isConnected && document.activeElement === el", handle)
    expect(slider).to_have_value(str(start + 10))
    deadline = time.monotonic() + 10
    while page.request.get("/api/v1/player/state").json()["volume"] != start + 10:
        assert time.monotonic() < deadline, "the player never reached the slider's value"
        page.wait_for_timeout(100)
    page.keyboard.press("Tab")
    page.get_by_test_id("player-toggle").click()  # pause: the next test's music starts from quiet
    expect(bar).to_have_attribute("data-status", "paused")


PHONE = {"width": 375, "height": 740}


def test_every_page_fits_a_phone_and_the_board_shows_sounds_first(new_context, live_app, tmp_path):
    page = new_context(viewport=PHONE).new_page()
    email = unique_email("phone")
    sign_up(page, email)
    name = "An unusually long sound name for a small screen"
    upload(page, [media.tone(tmp_path / f"{name}.wav", 1.0, freq=520)])
    expect(page.get_by_test_id("sound-card").filter(has_text="unusually long")).to_be_visible()
    playlist = playlist_of(live_app, email, "A playlist with a long name indeed", [name])
    page.get_by_test_id("sound-card").filter(has_text="unusually long").get_by_test_id("play").click()
    expect(page.get_by_test_id("credit-balance")).to_have_text("24")

    for path in ("/", f"/playlists/{playlist}/", "/player/", "/credits/", "/profile/", "/dashboard/"):
        page.goto(path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], f"{path} scrolls sideways ({wide} px)"
        if path.startswith("/playlists/"):
            # The name keeps a readable width: not one letter per line.
            box = page.locator(".playlist__name").first.bounding_box()
            assert box is not None
            assert box["width"] > 200
        if path == "/credits/":
            box = page.get_by_test_id("ledger-change").first.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= PHONE["width"]
        if path == "/dashboard/":
            sizes = page.evaluate(
                "[...document.querySelectorAll('.chart__svg text')].map(t => t.getBoundingClientRect().height)"
            )
            assert sizes
            assert min(sizes) >= 10, f"chart text {min(sizes):.1f} px high"

    page.goto("/")
    page.get_by_test_id("dismiss-hint").click()
    expect(page.get_by_test_id("board-hint")).to_have_count(0)
    page.reload()
    card = page.get_by_test_id("sound-card").first.bounding_box()
    assert card is not None
    assert card["y"] < PHONE["height"] - 120, "no sound in the phone's first screen"


def test_stop_all_says_it_once_and_a_disabled_user_is_told_and_signed_out(new_context, live_app):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    email = unique_email("gone")
    sign_up(page, email)
    with page.expect_response(lambda r: r.url.endswith("/player/stop/")):
        page.get_by_test_id("stop-all").click()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")  # the answer is handled
    expect(page.locator(".toast").filter(has_text="stopped")).to_have_count(1)  # the live one, and only it

    live_app.shell(
        "from accounts.models import User\n"
        f"u = User.objects.get(email={email!r}); u.is_active = False; u.save(update_fields=['is_active'])"
    )
    expect(page.get_by_test_id("signed-out")).to_contain_text("disabled")
    page.wait_for_url("**/accounts/login/**")


def test_the_phone_menu_opens_without_javascript(new_context, live_app):
    page = new_context(viewport=PHONE).new_page()
    sign_up(page, unique_email("nojs"))
    nojs = new_context(viewport=PHONE, java_script_enabled=False, storage_state=page.context.storage_state())
    bare = nojs.new_page()
    bare.goto("/")
    expect(bare.locator("#sidebar")).not_to_be_in_viewport()
    bare.get_by_test_id("menu-toggle").click()
    expect(bare.locator("#sidebar")).to_be_in_viewport()
    bare.get_by_role("link", name="Credits").click()
    bare.wait_for_url("**/credits/")


def test_menus_and_toasts_stay_clear_of_targets_and_the_board_follows_changes(new_context, live_app, tmp_path):
    size = {"width": 1280, "height": 720}
    owner = new_context(viewport=size).new_page()
    sign_up(owner, unique_email("owner"))
    upload(owner, [media.tone(tmp_path / f"Row sound {i}.wav", 0.4, freq=300 + 40 * i) for i in range(3)])
    # Other browser tests share this app's library (it outgrows a page): show only ours.
    owner.goto("/?q=Row+sound")
    expect(owner.get_by_test_id("sound-card").filter(has_text="Row sound 2")).to_be_visible()
    watcher = new_context(viewport=size).new_page()
    sign_up(watcher, unique_email("watcher"))
    watcher.goto("/?q=Row+sound")
    card = watcher.get_by_test_id("sound-card").filter(has_text="Row sound 2")
    expect(card).to_be_visible()

    # The owner deletes a sound: the other board drops it by itself, no "refresh" link to press.
    mine = owner.get_by_test_id("sound-card").filter(has_text="Row sound 2")
    mine.scroll_into_view_if_needed()
    mine.get_by_test_id("manage-sound").click()
    owner.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_test_id("delete-sound").click()
    expect(card).to_have_count(0)
    expect(mine).to_have_count(0)  # the owner's board re-read its list too

    # A card's menu near the player bar opens upwards, above the bar.
    last = owner.get_by_test_id("sound-card").filter(has_text="Row sound 1")
    last.scroll_into_view_if_needed()
    owner.evaluate("window.scrollTo(0, 0)")
    box = last.bounding_box()
    assert box is not None
    bar = owner.get_by_test_id("player-bar").bounding_box()
    assert bar is not None
    owner.set_viewport_size({"width": 1280, "height": int(box["y"] + box["height"] + bar["height"] + 20)})
    last.get_by_test_id("manage-sound").click()
    panel = last.locator(".menu--up .menu__panel")
    expect(panel).to_be_visible()
    panel_box = panel.bounding_box()
    bar = owner.get_by_test_id("player-bar").bounding_box()
    assert panel_box is not None
    assert bar is not None
    assert panel_box["y"] + panel_box["height"] <= bar["y"]
    owner.keyboard.press("Escape")

    # A toast never lies over a card.
    owner.get_by_test_id("stop-all").click()
    toast = owner.locator(".toast").first
    expect(toast).to_be_visible()
    toast_box = toast.bounding_box()
    assert toast_box is not None
    for i in range(owner.get_by_test_id("sound-card").count()):
        other = owner.get_by_test_id("sound-card").nth(i).bounding_box()
        assert other is not None
        overlaps = not (
            toast_box["x"] + toast_box["width"] <= other["x"]
            or other["x"] + other["width"] <= toast_box["x"]
            or toast_box["y"] + toast_box["height"] <= other["y"]
            or other["y"] + other["height"] <= toast_box["y"]
        )
        assert not overlaps

    # The app's theme and the Django admin's are kept apart.
    owner.evaluate("localStorage.setItem('theme', 'auto')")  # what the admin writes
    owner.reload()
    owner.locator("[data-theme-toggle]").first.click()
    assert owner.evaluate("localStorage.getItem('theme')") == "auto"
    assert owner.evaluate("localStorage.getItem('soundboard-theme')") in ("light", "dark")
