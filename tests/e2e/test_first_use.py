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
