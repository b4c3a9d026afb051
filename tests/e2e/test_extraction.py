"""Paste a link, watch the progress, find the new sound on the board."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import sign_up, unique_email


def test_paste_a_link_and_the_sound_lands_on_the_board(new_context, media_server):
    page = new_context().new_page()
    sign_up(page, unique_email("extractor"))
    page.goto("/extractions/")
    page.fill("input[name=url]", f"{media_server.base}/slow/tone.mp3")
    page.get_by_test_id("extract").click()
    row = page.get_by_test_id("extraction").first
    expect(row.get_by_test_id("extraction-progress")).to_be_visible()  # live progress while it downloads
    expect(row.get_by_test_id("extraction-status")).to_have_text("Done", timeout=60_000)
    expect(page.get_by_test_id("credit-balance")).to_have_text("20")
    row.get_by_test_id("extraction-sound").click()
    expect(page.get_by_test_id("sound-card").filter(has_text="tone")).to_be_visible()


def test_a_private_address_is_refused_on_the_page(new_context):
    page = new_context().new_page()
    sign_up(page, unique_email("sneaky"))
    page.goto("/extractions/")
    page.fill("input[name=url]", "http://169.254.169.254/latest/meta-data/")
    page.get_by_test_id("extract").click()
    # Refused like every refusal of a page: a toast with the reason, nothing charged.
    expect(page.locator(".toast").filter(has_text="private network")).to_be_visible()
    expect(page.get_by_test_id("credit-balance")).to_have_text("25")
