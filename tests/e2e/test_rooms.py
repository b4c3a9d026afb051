"""Rooms in the browser (issue 13): a second room with its own player, the top bar's switcher, the bar and the board
following the chosen room, the feed naming the room, the dashboard's room filter. At 1280 and 375 px."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sounds.tests import media
from tests.e2e.conftest import ROOT, LiveApp, sign_up, unique_email

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
# Set ROOMS_SCREENSHOTS=DIR to keep screenshots (light and dark) of the switcher, the bar and the dashboard.
SHOTS = os.environ.get("ROOMS_SCREENSHOTS")
TERRACE_VOLUME = 35  # its player starts at this volume, so its bar is told apart from main's (80)


def shots(page: Page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        page.screenshot(path=f"{SHOTS}/{name}-{theme}.png")


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.fixture(scope="module")
def terrace(live_app: LiveApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Room `terrace` with a player of its own, rendering to its own folder, as a second machine would run it."""
    out = tmp_path_factory.mktemp("terrace-audio")
    live_app.shell(
        "from player.models import Room\n"
        "Room.objects.update_or_create(\n"
        f"    slug='terrace', defaults={{'name': 'Terrace', 'default_volume': {TERRACE_VOLUME}}}\n"
        ")"
    )
    with open(out / "player.log", "wb") as log:
        player = subprocess.Popen(
            [sys.executable, "manage.py", "run_player", "--room", "terrace", "--output", f"file:{out}"],
            cwd=ROOT, env=live_app.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        live_app.shell(
            "from player.client import is_online; import time\n"
            "deadline = time.monotonic() + 60\n"
            "while not is_online('terrace'):\n    assert time.monotonic() < deadline\n    time.sleep(0.05)"
        )
        yield out
    finally:
        player.terminate()
        player.wait(timeout=20)
        # The other browser tests share this app: they expect one room again (no switcher, no "in Main").
        live_app.shell("from player.models import Room\nRoom.objects.filter(slug='terrace').delete()")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_switch_room_and_the_bar_and_the_clicks_follow_it(new_context, live_app, terrace, tmp_path, size):
    context = new_context(viewport=VIEWPORTS[size])
    page = context.new_page()
    sign_up(page, unique_email(f"rooms{size}"))
    name = f"Terrace horn {size}"
    page.get_by_test_id("open-upload").click()
    page.set_input_files(
        "input[name=audio]",
        [str(media.tone(tmp_path / f"{name}.wav", 0.6, freq=640 + 53 * list(VIEWPORTS).index(size)))],
    )
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-results")).to_contain_text("added", timeout=30_000)
    page.goto(f"/?q={name.replace(' ', '+')}")
    bar = page.get_by_test_id("player-bar")
    current = page.get_by_test_id("room-current")
    expect(current).to_contain_text("Main")
    expect(bar).to_have_attribute("data-room", "main")
    shots(page, f"switcher-closed-{size}")
    assert fits_the_screen(page)

    other_tab = context.new_page()  # the same person's other page follows the room they choose
    other_tab.goto("/player/")
    expect(other_tab.get_by_test_id("player-bar")).to_have_attribute("data-room", "main")

    # The keyboard opens it (a <details>): each room, online, and what it plays.
    current.focus()
    page.keyboard.press("Enter")
    option = page.get_by_test_id("room-option-terrace")
    expect(option).to_be_visible()
    expect(page.get_by_test_id("room-status-terrace")).to_contain_text("Online")
    expect(page.get_by_test_id("room-option-main")).to_have_attribute("aria-current", "true")
    shots(page, f"switcher-open-{size}")
    assert fits_the_screen(page)

    option.click()
    expect(current).to_contain_text("Terrace")
    expect(page.locator(".toast").filter(has_text="You are in Terrace now")).to_be_visible()
    expect(bar).to_have_attribute("data-room", "terrace")
    expect(page.get_by_test_id("player-volume")).to_have_value(str(TERRACE_VOLUME))
    # The other page was not touched: its socket heard of the choice and re-read its bar.
    expect(other_tab.get_by_test_id("player-bar")).to_have_attribute("data-room", "terrace")
    expect(other_tab.get_by_test_id("room-current")).to_contain_text("Terrace")
    shots(page, f"bar-terrace-{size}")

    # A click plays in the chosen room: its WAV is in terrace's folder, none in main's.
    main_before = set(live_app.audio_dir.glob("*.wav"))
    terrace_before = set(terrace.glob("*.wav"))
    page.get_by_test_id("sound-card").filter(has_text=name).get_by_test_id("play").click()
    expect(page.locator(".toast").filter(has_text=f"Playing “{name}”")).to_be_visible()
    expect(page.get_by_test_id("recent-plays")).to_contain_text(f"played {name} in Terrace")
    deadline = time.monotonic() + 10
    while not set(terrace.glob("*.wav")) - terrace_before:  # the player renders it as it starts the clip
        assert time.monotonic() < deadline, "no WAV in terrace's folder"
        time.sleep(0.05)
    assert len(set(terrace.glob("*.wav")) - terrace_before) == 1
    assert set(live_app.audio_dir.glob("*.wav")) == main_before

    # The dashboard filters by room.
    page.goto("/dashboard/")
    page.get_by_test_id("dash-room").select_option("terrace")
    expect(page).to_have_url(re.compile(r"room=terrace"))
    assert int(page.get_by_test_id("dash-mine").inner_text()) == 1
    shots(page, f"dashboard-room-{size}")
    assert fits_the_screen(page)

    # Back to main, without JavaScript's help needed: the same form posts and comes back to the page.
    page.get_by_test_id("room-current").click()
    page.get_by_test_id("room-option-main").click()
    expect(page.get_by_test_id("room-current")).to_contain_text("Main")
    expect(page.get_by_test_id("player-bar")).to_have_attribute("data-room", "main")


def test_a_room_whose_player_is_killed_shows_offline_on_the_pages_open_there(new_context, live_app, terrace):
    # Last in this file: it kills terrace's player (the fixture's clean-up copes with a dead one).
    page = new_context(viewport=VIEWPORTS["phone"]).new_page()
    sign_up(page, unique_email("roomsdown"))
    page.get_by_test_id("room-current").click()
    page.get_by_test_id("room-option-terrace").click()
    bar = page.get_by_test_id("player-bar")
    expect(bar).to_have_attribute("data-room", "terrace")
    expect(page.get_by_test_id("room-current")).not_to_contain_text("offline")

    pid = int(live_app.shell("from player.client import heartbeat\nprint(heartbeat('terrace').pid)").split()[-1])
    os.kill(pid, signal.SIGKILL)
    live_app.shell(
        "from player.client import is_online; import time\n"
        "deadline = time.monotonic() + 30\n"
        "while is_online('terrace'):\n    assert time.monotonic() < deadline\n    time.sleep(0.05)"
    )
    # What the beat runs every 3 s (`player.watch_rooms`); the page is not reloaded.
    assert live_app.shell("from player.tasks import watch_rooms\nprint(watch_rooms())").split()[-1] == "True"
    expect(page.get_by_test_id("room-current")).to_contain_text("offline")
    expect(bar.get_by_test_id("player-offline")).to_have_text("Terrace's player is offline: plays there are refused.")
    shots(page, "terrace-offline-phone")
    assert fits_the_screen(page)
