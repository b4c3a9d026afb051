"""The library through a browser: upload, search, filter, preview in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from sounds.tests import media
from tests.e2e.conftest import sign_up, unique_email


def test_upload_search_filter_and_preview(new_context, tmp_path):
    page = new_context().new_page()
    sign_up(page, unique_email("lib"))
    horn = media.tone(tmp_path / "Party horn.wav", 1.5, freq=520)
    bell = media.tone(tmp_path / "Église bell.mp3", 1.0, freq=880)

    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(horn), str(bell)])
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-results")).to_contain_text("added as “Party horn”")
    expect(page.locator(".toast").filter(has_text="sounds added")).to_be_visible()
    cards = page.get_by_test_id("sound-card")
    expect(cards.filter(has_text="Party horn")).to_be_visible()
    expect(cards.filter(has_text="Église bell")).to_be_visible()

    # Uploading the same file again names the sound it duplicates.
    page.set_input_files("input[name=audio]", [str(horn)])
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-results")).to_contain_text("already in the library as “Party horn”")

    # "/" jumps to the search box; search ignores accents and the URL follows.
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no field has the keyboard
    page.keyboard.press("/")
    expect(page.get_by_test_id("search")).to_be_focused()
    page.keyboard.type("eglise")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Église bell")
    expect(page).to_have_url(re.compile(r"\?q=eglise"))
    page.reload()  # the URL alone restores the view
    expect(cards).to_have_count(1)

    # Other browser tests share this app's library, so ours are looked for by name.
    page.get_by_test_id("search").fill("")
    expect(cards.filter(has_text="Party horn")).to_be_visible()
    expect(cards.filter(has_text="Église bell")).to_be_visible()
    page.get_by_test_id("type-TTS").check(force=True)
    expect(cards.filter(has_text="Party horn")).to_have_count(0)
    page.get_by_test_id("type-SDB").check(force=True)
    expect(cards.filter(has_text="Party horn")).to_be_visible()

    # Preview plays in this browser, for free.
    cards.filter(has_text="Party horn").get_by_test_id("preview").click()
    page.wait_for_function(
        "() => { const a = document.getElementById('preview-audio'); return a && !a.paused && a.currentTime > 0; }"
    )
