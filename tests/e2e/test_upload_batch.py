"""A batch upload through a browser: a file over the size limit is named and refused, the others go in."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from playwright.sync_api import expect

from sounds.tests import media
from tests.e2e.conftest import sign_up, unique_email

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(375, id="phone")]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_file_too_large_is_named_and_the_good_ones_are_added(new_context, live_app, tmp_path, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    sign_up(page, unique_email("batch"))
    tag = f"Qbatch{width}x{os.getpid()}"
    good = [
        media.tone(tmp_path / f"{tag} {n}.wav", 0.5, freq=300 + width % 7 * 40 + 90 * i) for i, n in enumerate("ab")
    ]
    big = tmp_path / "too big.wav"
    big.write_bytes(b"\0" * (settings.SOUNDS_MAX_UPLOAD_MB * 1024 * 1024 + 1))  # refused by size, before content
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(good[0]), str(big), str(good[1])])
    page.get_by_test_id("upload-submit").click()
    results = page.get_by_test_id("upload-results")
    expect(results).to_contain_text(
        f"too big.wav: The file is larger than {settings.SOUNDS_MAX_UPLOAD_MB} MB.", timeout=30_000
    )
    expect(results).to_contain_text(f"added as “{tag} a”")
    expect(results).to_contain_text(f"added as “{tag} b”")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto(f"/?q={tag}")
    expect(page.get_by_test_id("sound-card")).to_have_count(2)
