"""Make a text-to-speech sound, play it, and find it on a filtered dashboard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_up, unique_email


def test_create_a_tts_sound_play_it_and_filter_the_dashboard(new_context):
    page = new_context().new_page()
    sign_up(page, unique_email("speaker"))
    page.get_by_test_id("open-tts").click()
    page.fill("textarea[name=text]", "Stand-up in five minutes")
    page.select_option("select[name=voice]", "en-gb")
    page.get_by_test_id("tts-submit").click()
    expect(page.locator(".toast").filter(has_text="is ready on the board")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("credit-balance")).to_have_text("23")

    page.goto("/?types=TTS&q=stand-up")
    card = page.get_by_test_id("sound-card").filter(has_text="Stand-up in five minutes")
    expect(card).to_contain_text("Text to speech")  # where it came from, in words
    card.get_by_test_id("play").click()
    expect(page.locator(".toast").filter(has_text="Playing “Stand-up in five minutes”")).to_be_visible()

    page.goto("/dashboard/")
    page.select_option("[data-testid=dash-type]", "TTS")
    page.select_option("[data-testid=dash-period]", "today")
    expect(page).to_have_url(re.compile(r"type=TTS.*period=today|period=today.*type=TTS"))
    expect(page.locator("svg title").filter(has_text="Top sounds, today")).to_have_count(1)
    expect(page.locator(".chart__data td").filter(has_text="Stand-up in five minutes").first).to_be_attached()
    expect(page.get_by_test_id("dash-mine")).to_have_text("1")
