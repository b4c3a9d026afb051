"""The board's own features through a browser, at desktop and phone widths: favourites, tags, faces and the
uploader, per-sound volume and cooldown (set on the edit page), the Random button and the cooldown countdown."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sounds.tests import media
from tests.e2e.conftest import sign_up, unique_email

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
# Set BOARD_SCREENSHOTS=DIR to keep screenshots of each step for a person to look at.
SHOTS = os.environ.get("BOARD_SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=False)


def upload(page: Page, *paths: Path) -> None:
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(p) for p in paths])
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-results")).to_contain_text("added", timeout=30_000)  # a loaded machine


def toast(page: Page, text: str):
    return page.locator(".toast").filter(has_text=text)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_star_tag_tune_and_play_a_sound_at_random(new_context, live_app, tmp_path, size, scheme):
    tag = f"party{size}{scheme}"  # other browser tests share the library: our sounds are found by their tag
    page = new_context(viewport=VIEWPORTS[size], color_scheme=scheme).new_page()
    email = unique_email(f"board{size}")
    sign_up(page, email)
    freq = 300 + 37 * list(VIEWPORTS).index(size) + (11 if scheme == "dark" else 0)
    upload(
        page,
        media.tone(tmp_path / f"Horn {size} {scheme}.wav", 1.2, freq=freq),
        media.tone(tmp_path / f"Bell {size} {scheme}.wav", 0.6, freq=freq + 500),
    )
    page.goto(f"/?q={size}+{scheme}")
    cards = page.get_by_test_id("sound-card")
    horn = cards.filter(has_text=f"Horn {size} {scheme}")
    expect(cards).to_have_count(2)
    expect(horn.get_by_test_id("uploader")).to_have_text(f"by {email.split('@')[0]}")

    # The uploader edits the sound's details from its card's menu.
    horn.get_by_test_id("manage-sound").click()
    shot(page, f"menu-{size}-{scheme}")
    horn.get_by_test_id("edit-details").click()
    expect(page.get_by_role("heading", name=re.compile("Edit “Horn"))).to_be_visible()
    page.fill("input[name=tags]", "<b>html</b>")
    page.get_by_test_id("save-details").click()
    expect(page.locator(".field__error")).to_contain_text("is not a tag")  # refused, the form kept
    page.fill("input[name=tags]", f"{tag}, Loud ")
    page.fill("input[name=volume]", "50")
    page.fill("input[name=cooldown_s]", "45")
    page.fill("input[name=emoji]", "📯")
    page.locator("input[name=no_color]").uncheck()
    page.locator("input[name=color]").fill("#e11d48")
    shot(page, f"edit-{size}-{scheme}")
    page.get_by_test_id("save-details").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(toast(page, "Saved")).to_be_visible()

    page.goto(f"/?q={size}+{scheme}")
    expect(horn.get_by_test_id("sound-emoji")).to_have_text("📯")
    expect(horn.get_by_test_id("card-tags")).to_contain_text(f"#{tag}")
    expect(horn.get_by_test_id("card-tags")).to_contain_text("#loud")
    expect(horn.get_by_test_id("sound-color").locator("rect")).to_have_attribute("fill", "#e11d48")

    # Favourites: the star toggles in place; the filter keeps only starred sounds.
    star = horn.get_by_test_id("favorite")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(horn.get_by_test_id("favorite")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("filter-favorites").check(force=True)
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(f"Horn {size} {scheme}")
    page.reload()  # the URL keeps the filter
    expect(page.get_by_test_id("filter-favorites")).to_be_checked()
    expect(cards).to_have_count(1)
    page.get_by_test_id("filter-favorites").uncheck(force=True)
    expect(cards).to_have_count(2)

    # Tag chips filter, together with the search.
    page.get_by_test_id("tag-filter").locator("summary").click()
    page.locator(f"input[data-testid=tag-chip][value={tag}]").check(force=True)
    expect(cards).to_have_count(1)
    expect(page).to_have_url(re.compile(f"tags={tag}"))
    shot(page, f"board-filtered-{size}-{scheme}")
    page.get_by_test_id("search").fill("no such sound at all")
    expect(page.get_by_test_id("no-results")).to_be_visible()
    page.get_by_test_id("search").fill(f"{size} {scheme}")
    expect(cards).to_have_count(1)

    # Random among what the filter shows: only the horn. It plays, and its cooldown shows on the card.
    wavs = len(list(live_app.audio_dir.glob("*.wav")))
    page.get_by_test_id("play-random").click()
    expect(toast(page, f"Playing “Horn {size} {scheme}” (picked at random)")).to_be_visible()
    expect(horn.get_by_test_id("cooldown")).to_have_text(re.compile(r"Wait (4[0-5]|3\d) s"))
    shot(page, f"board-cooldown-{size}-{scheme}")
    horn.get_by_test_id("play").click()
    expect(toast(page, "can play again in")).to_be_visible()
    expect(page.get_by_test_id("credit-balance")).to_have_text("24")  # the refused click cost nothing
    assert len(list(live_app.audio_dir.glob("*.wav"))) == wavs + 1
    # With the only sound cooling down, Random has nothing to pick.
    page.get_by_test_id("play-random").click()
    expect(toast(page, "No sound matches these filters right now.")).to_be_visible()


def test_another_user_sees_the_cooldown_live_and_cannot_edit(new_context, tmp_path):
    owner = new_context(viewport=VIEWPORTS["desktop"]).new_page()
    sign_up(owner, unique_email("owner"))
    upload(owner, media.tone(tmp_path / "Shared gong.wav", 0.5, freq=1234))
    owner.goto("/?q=shared+gong")
    card = owner.get_by_test_id("sound-card").first
    card.get_by_test_id("manage-sound").click()
    card.get_by_test_id("edit-details").click()
    owner.fill("input[name=cooldown_s]", "30")
    owner.get_by_test_id("save-details").click()
    owner.wait_for_url(re.compile(r"/$"))

    other = new_context(viewport=VIEWPORTS["phone"]).new_page()
    sign_up(other, unique_email("other"))
    other.goto("/?q=shared+gong")
    other_card = other.get_by_test_id("sound-card").first
    expect(other_card.get_by_test_id("manage-sound")).to_have_count(0)  # not theirs: no edit menu
    owner.goto("/?q=shared+gong")
    owner.get_by_test_id("sound-card").first.get_by_test_id("play").click()
    # The other user's open board counts down, live.
    expect(other_card.get_by_test_id("cooldown")).to_have_text(re.compile(r"Wait ([12]\d|30) s"))
    sound_id = other_card.get_attribute("data-sound-id")
    response = other.request.get(f"/sounds/{sound_id}/edit/", max_redirects=0)
    assert response.status in (302, 403)
