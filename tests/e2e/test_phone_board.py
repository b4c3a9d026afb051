"""A newcomer's phone: with the first-visit hint open the first sounds are on the first screen, and the pads are
large, legible targets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sounds.tests import media
from tests.e2e.conftest import sign_up, unique_email

# Set BOARD_SCREENSHOTS=DIR to keep screenshots for a person to look at.
SHOTS = os.environ.get("BOARD_SCREENSHOTS")
PHONE = {"width": 375, "height": 667}  # a small phone: what fits here fits the others
NAMES = ["Air horn", "Sad trombone", "Drum roll please", "Applause", "Crickets", "Wow"]


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_phone_shows_sounds_on_the_first_screen_as_large_pads(new_context, live_app, tmp_path, scheme):
    page = new_context(viewport=PHONE, color_scheme=scheme).new_page()
    sign_up(page, unique_email("phone"))
    tag = f"Qph{scheme}{os.getpid()}"
    # Tones of their own length: the library refuses a file it already holds (other tests' tones too).
    base = 250 + (21 if scheme == "dark" else 0)
    files = [media.tone(tmp_path / f"{name} {tag}.wav", 0.73, freq=base + 43 * i) for i, name in enumerate(NAMES)]
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(f) for f in files])
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-results").locator(".is-ok")).to_have_count(len(NAMES), timeout=30_000)

    # A board with tags has a Tags chip among the filters: it must not push the first pads down (on a row of its
    # own it did, and only when an earlier test had left a tag in the shared app).
    live_app.shell(
        "from sounds.models import Sound; from sounds.tags import Tag\n"
        f"Sound.objects.filter(name__endswith={tag!r}).first().tags.add(Tag.objects.get_or_create(name='phone')[0])"
    )
    page.goto(f"/?q={tag}")
    expect(page.get_by_test_id("tag-filter")).to_be_visible()
    expect(page.get_by_test_id("board-hint")).to_be_visible()  # not dismissed: a newcomer's first screens
    cards = page.get_by_test_id("sound-card")
    expect(cards).to_have_count(len(NAMES))
    first = cards.first.bounding_box()
    bar = page.get_by_test_id("player-bar").bounding_box()
    assert first is not None
    assert bar is not None
    shot(page, f"phone-first-screen-{scheme}")
    assert first["y"] + first["height"] <= bar["y"], (first, bar)  # the whole first pad, above the player bar
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, f"phone-first-screen-{scheme}")

    # Large targets: two pads a row, each wide enough for a thumb, its name in text-sized type, whole words.
    boxes = [cards.nth(i).bounding_box() for i in range(len(NAMES))]
    assert len({round(b["y"]) for b in boxes if b}) == len(NAMES) // 2
    for box in boxes:
        assert box is not None
        assert box["width"] >= 150
        assert box["height"] >= 110
    name = cards.filter(has_text="Drum roll please").locator(".sound-card__name")
    assert float(name.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px")) >= 16
    assert name.evaluate("e => getComputedStyle(e).overflowWrap") == "break-word"  # no word cut in two
    for tool in cards.first.locator(".sound-card__tools .btn").all():
        tool_box = tool.bounding_box()
        assert tool_box is not None
        assert tool_box["height"] >= 32
        assert tool_box["width"] >= 32
    page.evaluate("window.scrollTo(0, document.querySelector('#sound-grid').offsetTop - 80)")
    shot(page, f"phone-pads-{scheme}")
