"""Hotkeys, the up-next queue, quiet hours and pads through a browser, at desktop and phone widths."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from sounds.tests import media
from tests.e2e.conftest import sign_up, unique_email

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(375, id="phone")]


def upload(page: Page, tmp_path, names: list[str], shared: str, seconds: float = 1.07) -> None:
    # Each test's tones differ (the library refuses a file it already holds, whatever its name). Their pitch comes
    # from the process id, so their length is this file's own: another file's 1 s tone of the same pitch was once
    # refused as a copy of these.
    base = 200 + sum(map(ord, names[0])) % 500
    files = [media.tone(tmp_path / f"{name}.wav", seconds, freq=base + 37 * i) for i, name in enumerate(names)]
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(f) for f in files])
    page.get_by_test_id("upload-submit").click()
    for name in names:
        expect(page.get_by_test_id("upload-results")).to_contain_text(f"added as “{name}”", timeout=20_000)
    # Other browser tests share this app's library (ours may be past the first page): show only ours.
    page.goto(f"/?q={shared}")
    for name in names:
        expect(page.get_by_test_id("sound-card").filter(has_text=name)).to_be_visible()


def not_staff(live_app, email: str) -> None:
    # The app's first account becomes staff; these tests are about everybody else.
    live_app.shell(f"from accounts.models import User; User.objects.filter(email='{email}').update(is_staff=False)")


def stop_the_music(live_app, email: str) -> None:
    """The shared player stopped, with an empty queue (other tests use it too)."""
    live_app.shell(
        "from accounts.models import User; from player import client; from player.models import QueueItem\n"
        "QueueItem.objects.all().delete()\n"
        f"client.music_command(user=User.objects.get(email='{email}'), room='main', command='stop')"
    )


def card(page: Page, name: str):
    return page.get_by_test_id("sound-card").filter(has_text=name)


def open_menu(page: Page, name: str) -> None:
    card(page, name).get_by_test_id("queue-menu").click()


def box_of(locator) -> dict[str, float]:
    """Its box once it is on screen (a live update may be swapping the card at that moment)."""
    expect(locator).to_be_visible()
    for _ in range(50):
        found = locator.bounding_box()
        if found is not None:
            return dict(found)
        locator.page.wait_for_timeout(100)
    raise AssertionError("never on screen")


def toast(page: Page, text: str):
    return page.locator(".toast").filter(has_text=text)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_hotkey_plays_its_sound_and_question_mark_lists_every_shortcut(new_context, live_app, tmp_path, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    email = unique_email("keys")
    sign_up(page, email)
    not_staff(live_app, email)
    suffix = f"{width}x{os.getpid()}"
    horn, bell = f"Keyhorn{suffix}", f"Keybell{suffix}"
    upload(page, tmp_path, [horn, bell], suffix)

    open_menu(page, horn)
    card(page, horn).get_by_test_id("hotkey-input").fill("h")
    card(page, horn).get_by_test_id("hotkey-bind").click()
    expect(toast(page, f"Press H on the Soundboard to play “{horn}”")).to_be_visible()
    open_menu(page, bell)
    card(page, bell).get_by_test_id("hotkey-input").fill("H")
    card(page, bell).get_by_test_id("hotkey-bind").click()
    expect(toast(page, f"“h” already plays “{horn}”")).to_be_visible()
    card(page, bell).get_by_test_id("hotkey-input").fill("!")
    card(page, bell).get_by_test_id("hotkey-bind").click()
    expect(toast(page, "Hotkeys are one key each: 1 to 9 or a to z.")).to_be_visible()
    page.keyboard.press("Escape")  # closes the menu

    # Typing in the search box is typing, not playing.
    credits = page.get_by_test_id("credit-balance")
    before = int(credits.inner_text())
    page.get_by_test_id("search").fill("h")
    page.get_by_test_id("search").press("h")
    page.get_by_test_id("search").fill("")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    expect(credits).to_have_text(str(before))
    page.keyboard.press("h")
    expect(toast(page, f"Playing “{horn}”")).to_be_visible()
    expect(credits).to_have_text(str(before - 1))

    page.keyboard.press("?")
    dialog = page.get_by_test_id("shortcuts-dialog")
    expect(dialog).to_be_visible()
    for words in ("Search sounds", "Stop every sound", "Play or pause the music", horn):
        expect(dialog).to_contain_text(words)
    box = dialog.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The key survives a reload (kept on the server), shows on its card, and unbinding frees it.
    page.reload()
    expect(card(page, horn).locator(".sound-card__key")).to_have_text("H")
    page.get_by_test_id("open-shortcuts").click()
    dialog.get_by_role("button", name=f"Unbind H from {horn}").click()
    expect(toast(page, f"H no longer plays “{horn}”")).to_be_visible()
    expect(dialog.get_by_test_id("hotkey")).to_have_count(0)


def _drag_second_item_to_the_top(page: Page, items, width: int) -> None:
    """A mouse on desktop; on a phone a finger on the handle."""
    if width < 500:
        handle = items.nth(1).locator("[data-drag-handle]")
        # The list is redrawn by the live update of the move above: wait for the new one before measuring.
        expect(handle).to_be_visible()
        # A finger drags what it sees: bring the handle to the middle of the screen, clear of the player bar
        # fixed at the bottom (taller while it shows what is up next), then press, move and lift on it.
        handle.evaluate(
            """(handle) => {
                    handle.scrollIntoView({block: "center"});
                    const from = handle.getBoundingClientRect();
                    const to = handle.closest("li").previousElementSibling.getBoundingClientRect();
                    const x = from.left + from.width / 2, y = from.top + from.height / 2;
                    const under = document.elementFromPoint(x, y);
                    if (!handle.contains(under)) throw new Error("the handle is covered by " + under.outerHTML);
                    const opts = (cy) => ({bubbles: true, pointerId: 7, pointerType: "touch", clientX: x, clientY: cy});
                    under.dispatchEvent(new PointerEvent("pointerdown", opts(y)));
                    under.dispatchEvent(new PointerEvent("pointermove", opts(to.top + 4)));
                    under.dispatchEvent(new PointerEvent("pointerup", opts(to.top + 4)));
                }"""
        )
    else:
        items.nth(1).drag_to(items.nth(0), target_position={"x": 20, "y": 4})


@pytest.mark.parametrize("width", WIDTHS)
def test_play_next_and_add_to_queue_show_on_the_player_page_and_reorder(new_context, live_app, tmp_path, width):
    page = new_context(viewport={"width": width, "height": 800}, has_touch=width < 500).new_page()
    email = unique_email("queue")
    sign_up(page, email)
    not_staff(live_app, email)
    suffix = f"{width}x{os.getpid()}"
    long, first, second = f"Qlong{suffix}", f"Qfirst{suffix}", f"Qsecond{suffix}"
    upload(page, tmp_path, [long, first, second], suffix, seconds=8.0)
    stop_the_music(live_app, email)
    try:
        credits = page.get_by_test_id("credit-balance")
        before = int(credits.inner_text())
        open_menu(page, long)
        card(page, long).get_by_test_id("play-next").click()
        expect(toast(page, f"“{long}” is playing now")).to_be_visible()  # the player was not playing: it starts
        expect(page.get_by_test_id("player-track")).to_have_text(long)
        for name in (first, second):
            open_menu(page, name)
            card(page, name).get_by_test_id("add-to-queue").click()
            expect(toast(page, f"“{name}” is number")).to_be_visible()
        expect(credits).to_have_text(str(before - 3))
        expect(page.get_by_test_id("player-up-next")).to_contain_text(f"Up next: {first}")

        page.goto("/player/")
        items = page.get_by_test_id("queue-item")
        expect(items).to_have_count(2)
        expect(items.nth(0)).to_contain_text(first)
        page.get_by_role("button", name=f"Move {second} up").click()
        expect(items.nth(0)).to_contain_text(second)
        expect(page.get_by_test_id("player-up-next")).to_contain_text(f"Up next: {second}")

        # Dragging puts it back: a mouse on desktop, a finger on the handle on a phone. The page posts the new order
        # when the item is dropped: its answer comes before the reload that checks it was stored.
        with page.expect_response(
            lambda r: r.url.endswith("/player/queue/order/") and r.request.method == "POST"
        ) as order:
            _drag_second_item_to_the_top(page, items, width)
        assert order.value.ok, order.value.status
        expect(items.nth(0)).to_contain_text(first)
        page.reload()
        expect(items.nth(0)).to_contain_text(first)  # stored, not just moved on the page

        items.filter(has_text=second).get_by_test_id("queue-remove").click()
        expect(items).to_have_count(1)
    finally:
        stop_the_music(live_app, email)  # the player is shared with the next tests (a failure here too)
    expect(page.get_by_test_id("player-bar")).to_have_attribute("data-status", "stopped")


@pytest.mark.parametrize("width", WIDTHS)
def test_quiet_hours_show_a_banner_and_refuse_plays_without_charging(new_context, live_app, tmp_path, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    email = unique_email("quiet")
    sign_up(page, email)
    not_staff(live_app, email)
    name = f"Qhush{width}x{os.getpid()}"
    upload(page, tmp_path, [name], name)
    live_app.shell(
        "from datetime import time; from django.utils import timezone; from player.models import QuietWindow\n"
        "QuietWindow.objects.create(day=timezone.localtime().weekday(), start=time(0), end=time(0), note='Exams')"
    )
    try:
        page.reload()
        banner = page.get_by_test_id("quiet-banner")
        expect(banner).to_contain_text(re.compile(r"Quiet hours until \w+ 00:00"))
        expect(banner).to_contain_text("Exams")
        credits = page.get_by_test_id("credit-balance")
        before = credits.inner_text()
        card(page, name).get_by_test_id("play").click()
        expect(toast(page, "Quiet hours: sounds and music are off until")).to_be_visible()
        expect(credits).to_have_text(before)
        page.goto("/player/")
        expect(page.get_by_test_id("quiet-banner")).to_be_visible()
    finally:
        live_app.shell("from player.models import QuietWindow; QuietWindow.objects.all().delete()")


def test_phones_get_pads_by_default_and_the_choice_is_remembered(new_context, live_app, tmp_path):
    page = new_context(viewport={"width": 375, "height": 800}).new_page()
    sign_up(page, unique_email("pads"))
    name = f"Qpad{os.getpid()}"
    upload(page, tmp_path, [name], name)
    pad = box_of(card(page, name))
    assert 150 <= pad["width"] < 375 / 1.9  # two across, large enough for a thumb
    assert pad["height"] < pad["width"]  # a little wider than tall, so more fit a screen
    expect(card(page, name).locator(".sound-card__meta")).to_be_hidden()
    page.get_by_test_id("view-grid").click()
    expect(page.locator("[data-library]")).to_have_attribute("data-view", "grid")
    page.reload()
    expect(page.locator("[data-library]")).to_have_attribute("data-view", "grid")
    expect(card(page, name).locator(".sound-card__meta")).to_be_visible()  # cards: the details
    desktop = new_context(viewport={"width": 1280, "height": 800}).new_page()
    desktop.context.add_cookies(page.context.cookies())
    desktop.goto("/")
    expect(desktop.locator("[data-library]")).to_have_attribute("data-view", "grid")  # per person, not per device
    desktop.get_by_test_id("view-pad").click()
    expect(desktop.locator("[data-library]")).to_have_attribute("data-view", "pad")
    big = box_of(card(desktop, name))
    assert abs(big["width"] - big["height"]) < 2
