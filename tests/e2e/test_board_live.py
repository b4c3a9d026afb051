"""Live changes of the list never move cards under the pointer or the focus: they wait, and a pill says so."""

from __future__ import annotations

import os

from playwright.sync_api import Page, expect

from sounds.tests import media
from tests.e2e.conftest import sign_up, unique_email

SIZE = {"width": 1280, "height": 800}


def upload(page: Page, tmp_path, name: str, freq: int) -> None:
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(media.tone(tmp_path / f"{name}.wav", 0.4, freq=freq))])
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-results")).to_contain_text(f"added as “{name}”", timeout=30_000)


def test_a_live_change_waits_while_the_pointer_or_focus_is_in_the_grid(new_context, live_app, tmp_path):
    tag = f"Qlive{os.getpid()}"
    uploader = new_context(viewport=SIZE).new_page()
    sign_up(uploader, unique_email("liveup"))
    upload(uploader, tmp_path, f"{tag} b", 410)
    upload(uploader, tmp_path, f"{tag} d", 430)
    watcher = new_context(viewport=SIZE).new_page()
    sign_up(watcher, unique_email("livewatch"))
    watcher.goto(f"/?q={tag}")
    cards = watcher.get_by_test_id("sound-card")
    expect(cards).to_have_count(2)
    pill = watcher.get_by_test_id("library-pending")

    # The pointer rests on a card: a new sound that sorts first would push it along. The list waits.
    target = cards.filter(has_text=f"{tag} d")
    target.hover()
    # The hovered card lifts by 1 px with a transition: measure where it comes to rest, not a frame of the easing.
    expect(target).to_have_css("transform", "matrix(1, 0, 0, 1, 0, -1)")
    before = target.bounding_box()
    assert before is not None
    upload(uploader, tmp_path, f"{tag} a", 450)
    expect(pill).to_be_visible()
    expect(pill).to_have_text("The list changed · show")
    after = target.bounding_box()
    assert after is not None
    assert abs(after["y"] - before["y"]) < 1
    assert abs(after["x"] - before["x"]) < 1
    expect(cards).to_have_count(2)
    # The pointer leaves the grid: the list follows, and the pill goes.
    watcher.mouse.move(5, 5)
    expect(cards).to_have_count(3)
    expect(pill).to_be_hidden()

    # The keyboard's focus on a card holds the list too, wherever the pointer is; the pill shows it on a press.
    cards.filter(has_text=f"{tag} d").get_by_test_id("play").focus()
    upload(uploader, tmp_path, f"{tag} c", 470)
    expect(pill).to_be_visible()
    expect(cards).to_have_count(3)
    pill.click()
    expect(cards).to_have_count(4)
    expect(pill).to_be_hidden()

    # Nobody in the grid: a change shows at once.
    watcher.locator("body").focus()
    watcher.mouse.move(5, 5)
    upload(uploader, tmp_path, f"{tag} e", 490)
    expect(cards).to_have_count(5)
    expect(pill).to_be_hidden()
