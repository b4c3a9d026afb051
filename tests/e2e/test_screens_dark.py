"""The queue, hotkey and quiet-hours screens in light and dark, at 1280 and 375 px: they fit, for a person to see.

Set BOARD_SCREENSHOTS=DIR to keep the pictures. The rows are made directly (the flows have their own tests).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_up, unique_email

SHOTS = os.environ.get("BOARD_SCREENSHOTS")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


def shot(page: Page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_queue_hotkey_and_quiet_hours_screens_fit(new_context, live_app, size, scheme):
    page = new_context(viewport=VIEWPORTS[size], color_scheme=scheme).new_page()
    email = unique_email(f"screens{size}{scheme}")
    sign_up(page, email)
    tag = f"Qscr{size}{scheme}{os.getpid()}"
    live_app.shell(
        "from accounts.models import User; from board.models import Hotkey; from player.models import QueueItem, Room\n"
        "from player.models import QuietWindow; from sounds.models import Sound\n"
        "from datetime import time; from django.utils import timezone\n"
        f"user = User.objects.get(email='{email}'); user.is_staff = True; user.save()\n"
        f"names = ['Air horn {tag}', 'A rather long sound name that goes on {tag}', 'Drum roll {tag}']\n"
        "sounds = [Sound.objects.create(type='SDB', name=n, filename=f'{i}-{n}.wav', duration=4000, size=1,"
        " hash=f'{n}-{i}') for i, n in enumerate(names)]\n"
        "for key, sound in zip('hjk', sounds): Hotkey.objects.create(user=user, key=key, sound=sound)\n"
        "room = Room.objects.get(slug='main'); QueueItem.objects.filter(room=room).delete()\n"
        "for i, sound in enumerate(sounds):\n"
        "    QueueItem.objects.create(room=room, sound=sound, added_by=user, position=i)\n"
        "QuietWindow.objects.all().delete()\n"
        "QuietWindow.objects.create(day=timezone.localtime().weekday(), start=time(0), end=time(0), note='Exams')"
    )
    try:
        page.goto(f"/?q={tag}")
        expect(page.get_by_test_id("quiet-banner")).to_be_visible()
        page.keyboard.press("?")
        expect(page.get_by_test_id("shortcuts-dialog")).to_contain_text(f"Air horn {tag}")
        shot(page, f"hotkeys-overlay-{size}-{scheme}")
        page.goto("/board/hotkeys/")
        expect(page.get_by_test_id("hotkey")).to_have_count(3)
        shot(page, f"hotkeys-page-{size}-{scheme}")
        page.goto("/player/")
        expect(page.get_by_test_id("queue-item")).to_have_count(3)
        shot(page, f"queue-{size}-{scheme}")
        page.goto("/player/quiet-hours/")
        expect(page.get_by_test_id("quiet-window")).to_have_count(1)
        shot(page, f"quiet-page-{size}-{scheme}")
    finally:
        live_app.shell(
            "from player.models import QueueItem, QuietWindow; from sounds.models import Sound\n"
            "QueueItem.objects.all().delete(); QuietWindow.objects.all().delete()\n"
            f"Sound.objects.filter(name__endswith='{tag}').delete()"
        )
