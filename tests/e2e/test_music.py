"""Two users, one shared music player: same track, same mode; a reorder by one shows up for the other. And the
playlist's sound picker on a slow page."""

from __future__ import annotations

import os
import time

from playwright.sync_api import Route, expect

from sounds.tests import media
from tests.e2e.conftest import sign_up, unique_email


def test_two_users_share_the_player_and_the_playlist(new_context, live_app, tmp_path):
    alice = new_context().new_page()
    sign_up(alice, unique_email("dj"))
    files = [media.tone(tmp_path / f"{name}.wav", 6.0, freq=freq) for name, freq in (("Alpha", 300), ("Beta", 500))]
    alice.get_by_test_id("open-upload").click()
    alice.set_input_files("input[name=audio]", [str(f) for f in files])
    alice.get_by_test_id("upload-submit").click()
    for name in ("Alpha", "Beta"):  # other tests share this app's library: look for ours by name
        expect(alice.get_by_test_id("sound-card").filter(has_text=name)).to_be_visible()

    alice.goto("/playlists/")
    alice.fill("input[name=name]", "Party")
    alice.get_by_test_id("create-playlist").click()
    for name in ("Alpha", "Beta"):
        alice.get_by_test_id("picker-search").fill(name)
        alice.locator("#picker-results li").filter(has_text=name).get_by_test_id("add-sound").click()
        expect(alice.get_by_test_id("playlist-items")).to_contain_text(name)
    playlist_url = alice.url

    bob = new_context().new_page()
    sign_up(bob, unique_email("guest"))
    bob.goto(playlist_url)
    expect(bob.locator(".playlist__item").first).to_contain_text("Alpha")

    alice.select_option("[data-testid=player-mode]", "loop")
    alice.get_by_test_id("play-playlist").click()
    for page in (alice, bob):
        expect(page.get_by_test_id("player-track")).to_have_text("Alpha")
        expect(page.get_by_test_id("player-bar")).to_have_attribute("data-status", "playing")
        expect(page.get_by_test_id("player-mode")).to_have_value("loop")
    expect(bob.get_by_test_id("player-position")).not_to_have_text("0 s")  # the position moves live

    # Alice moves Beta up with the keyboard-friendly button; Bob's page follows by itself.
    alice.get_by_role("button", name="Move Beta up").click()
    expect(alice.locator(".playlist__item").first).to_contain_text("Beta")
    expect(bob.locator(".playlist__item").first).to_contain_text("Beta")

    bob.get_by_test_id("player-toggle").click()  # pause, for everyone
    expect(alice.get_by_test_id("player-bar")).to_have_attribute("data-status", "paused")


def test_words_typed_before_the_scripts_are_ready_are_searched(new_context, live_app, tmp_path):
    page = new_context().new_page()
    sign_up(page, unique_email("early"))
    name = f"Early bird {os.getpid()}"
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(media.tone(tmp_path / f"{name}.wav", 0.9, freq=377))])
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("sound-card").filter(has_text=name)).to_be_visible()
    page.goto("/playlists/")
    page.fill("input[name=name]", "Early")
    page.get_by_test_id("create-playlist").click()
    expect(page.get_by_test_id("picker-search")).to_be_visible()

    # A slow phone: htmx arrives after the person has typed. Hold its script back, type, then let it through.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/htmx*.js", hold)
    page.reload(wait_until="commit")
    page.get_by_test_id("picker-search").fill(name)
    deadline = time.monotonic() + 10
    while not held:  # the handler runs while Playwright waits: let it
        assert time.monotonic() < deadline, "the page never asked for htmx"
        page.wait_for_timeout(50)
    held[0].continue_()
    expect(page.locator("#picker-results li").filter(has_text=name).get_by_test_id("add-sound")).to_be_visible()
