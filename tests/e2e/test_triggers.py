"""Triggers work as shown: the curl line a sound's trigger page gives, and the shell script in
docs/triggers.md, run against the live server with a real token, play the sound and charge for it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from playwright.sync_api import expect

from sounds.tests import media
from tests.e2e.conftest import PASSWORD, ROOT, sign_up, unique_email


def _docs_shell_script() -> str:
    text = (ROOT / "docs" / "triggers.md").read_text()
    section = text.split("## Shell", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found is not None, "docs/triggers.md lost its shell example"
    return found.group(1)


def test_a_trigger_pages_curl_line_and_the_docs_script_play_and_charge(new_context, live_app, tmp_path):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_up(page, unique_email("trigger"))
    horn = media.tone(tmp_path / "Trigger horn.wav", 0.5, freq=640)
    page.get_by_test_id("open-upload").click()
    page.set_input_files("input[name=audio]", [str(horn)])
    page.get_by_test_id("upload-submit").click()
    card = page.get_by_test_id("sound-card").filter(has_text="Trigger horn")
    expect(card).to_be_visible()
    sound_id = card.get_attribute("data-sound-id")

    card.get_by_test_id("queue-menu").click()
    card.get_by_test_id("trigger-link").click()
    expect(page.get_by_role("heading", name="Trigger “Trigger horn”")).to_be_visible()
    expect(page.get_by_test_id("trigger-curl")).to_contain_text("Bearer YOUR_TOKEN")
    page.get_by_test_id("trigger-new-token").click()
    page.wait_for_load_state()
    if "/reauthenticate/" in page.url:
        # Minting a token asks for the password again (a session cookie alone must not); allauth then
        # replays the form.
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").first.click()
    expect(page.get_by_text("Copy these lines now.")).to_be_visible()
    curl = page.get_by_test_id("trigger-curl").input_value()
    assert f"{live_app.url}/api/v1/sounds/play/{sound_id}" in curl
    found = re.search(r"Bearer (sb_[A-Za-z0-9_-]+)", curl)
    assert found is not None, curl
    token = found.group(1)

    wavs = len(list(live_app.audio_dir.glob("*.wav")))
    ran = subprocess.run(["sh", "-c", curl], capture_output=True, text=True, timeout=30)
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["sound_id"] == int(sound_id)
    assert answer["credits"] == 24  # 25 a night on the free plan, 1 a play

    script = tmp_path / "soundboard-play"
    script.write_text(_docs_shell_script())
    env = {"PATH": "/usr/bin:/bin", "SOUNDBOARD_URL": live_app.url, "SOUNDBOARD_TOKEN": token}
    ran = subprocess.run(["sh", str(script), sound_id], capture_output=True, text=True, timeout=30, env=env)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["credits"] == 23
    page.goto("/")
    expect(page.get_by_test_id("credit-balance")).to_have_text("23")
    assert len(list(live_app.audio_dir.glob("*.wav"))) == wavs + 2

    # A refusal fails the script and charges nothing.
    ran = subprocess.run(["sh", str(script), "999999"], capture_output=True, text=True, timeout=30, env=env)
    assert ran.returncode != 0
    assert "404" in ran.stderr
    page.reload()
    expect(page.get_by_test_id("credit-balance")).to_have_text("23")


def test_the_docs_shell_script_is_valid_sh():
    script = Path("/tmp") / "soundboard-play-syntax-check"
    script.write_text(_docs_shell_script())
    assert subprocess.run(["sh", "-n", str(script)], capture_output=True).returncode == 0
