"""Click a sound: it plays on the server, the balance drops in every tab, other users see who played what."""

from __future__ import annotations

from playwright.sync_api import expect

from sounds.tests import media
from tests.e2e.conftest import sign_in, sign_up, unique_email


def test_a_click_plays_on_the_server_and_every_browser_follows(new_context, live_app, tmp_path):
    email = unique_email("player")
    page = new_context().new_page()
    sign_up(page, email)
    horn = media.tone(tmp_path / "Play me.wav", 0.8, freq=700)
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(horn)])
    page.get_by_test_id("upload-submit").click()
    card = page.get_by_test_id("sound-card").filter(has_text="Play me")
    expect(card).to_be_visible()

    second_tab = page.context.new_page()  # the same user, another tab
    sign_in(second_tab, email) if "login" in second_tab.url else second_tab.goto("/")
    other = new_context().new_page()
    sign_up(other, unique_email("listener"))
    expect(other.get_by_test_id("online-count")).to_have_text("2")

    wavs_before = len(list(live_app.audio_dir.glob("*.wav")))
    card.get_by_test_id("play").click()
    expect(page.locator(".toast").filter(has_text="Playing “Play me”")).to_be_visible()
    expect(page.get_by_test_id("credit-balance")).to_have_text("24")
    expect(second_tab.get_by_test_id("credit-balance")).to_have_text("24")
    expect(other.get_by_test_id("recent-plays")).to_contain_text("played Play me")
    expect(other.get_by_test_id("sound-card").filter(has_text="Play me")).to_contain_text("▶ 1")
    expect(other.get_by_test_id("credit-balance")).to_have_text("25")  # nobody else pays
    assert len(list(live_app.audio_dir.glob("*.wav"))) == wavs_before + 1

    # Esc stops everything; everyone hears of it.
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no field has the keyboard
    page.keyboard.press("Escape")
    expect(other.locator(".toast").filter(has_text="Every sound was stopped")).to_be_visible()
