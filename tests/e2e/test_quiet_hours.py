"""Quiet hours through a browser: staff's page for the windows, and a board whose banner comes and goes live."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_up, unique_email

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
# Set BOARD_SCREENSHOTS=DIR to keep screenshots for a person to look at.
SHOTS = os.environ.get("BOARD_SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def staff_page(new_context, live_app, **options) -> Page:
    page = new_context(**options).new_page()
    email = unique_email("quietstaff")
    sign_up(page, email)
    live_app.shell(f"from accounts.models import User; User.objects.filter(email='{email}').update(is_staff=True)")
    return page


def add_window(page: Page, day: int, start: str, end: str, note: str = "") -> None:
    form = page.get_by_test_id("quiet-form")
    form.get_by_label("Day", exact=True).select_option(str(day))
    form.get_by_label("From", exact=True).fill(start)
    form.get_by_label("To", exact=True).fill(end)
    form.get_by_label("Note", exact=True).fill(note)
    form.get_by_test_id("quiet-add").click()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_staff_add_and_remove_quiet_hours_and_bad_windows_are_explained(new_context, live_app, size, scheme):
    page = staff_page(new_context, live_app, viewport=VIEWPORTS[size], color_scheme=scheme)
    live_app.shell("from player.models import QuietWindow; QuietWindow.objects.all().delete()")
    try:
        page.goto("/")
        if size == "phone":
            page.locator("[data-sidebar-toggle]").click()
        page.locator("#sidebar").get_by_role("link", name="Quiet hours").click()  # in staff's menu
        page.wait_for_url("**/player/quiet-hours/")
        expect(page.get_by_test_id("quiet-windows")).to_contain_text("No quiet hours")
        add_window(page, 4, "22:00", "00:00", note="Cleaners")
        windows = page.get_by_test_id("quiet-window")
        expect(windows).to_have_count(1)
        expect(windows.first).to_contain_text("Friday")
        expect(windows.first).to_contain_text("24:00")
        expect(page.locator(".toast").filter(has_text="Quiet hours added")).to_be_visible()

        add_window(page, 4, "23:00", "23:30")  # inside Friday's window
        expect(page.get_by_test_id("quiet-form")).to_contain_text("It overlaps Friday 22:00-00:00")
        add_window(page, 2, "10:00", "09:00")
        expect(page.get_by_test_id("quiet-form")).to_contain_text("The window ends before it starts.")
        typed = page.get_by_test_id("quiet-form").get_by_label("From", exact=True)
        expect(typed).to_have_value("10:00")  # what was typed stays, to correct it
        expect(windows).to_have_count(1)
        no_sideways_scroll(page)
        shot(page, f"quiet-hours-{size}-{scheme}")

        windows.first.get_by_test_id("quiet-remove").click()
        expect(windows).to_have_count(0)
        expect(page.get_by_test_id("quiet-windows")).to_contain_text("No quiet hours")
    finally:
        live_app.shell("from player.models import QuietWindow; QuietWindow.objects.all().delete()")


def test_the_boards_banner_comes_live_and_goes_when_the_window_ends(new_context, live_app):
    """Added by staff on their page: every open board shows it at once; it ends at a minute's turn, and the banner
    goes by itself then (the page's timer, from the server's count of seconds), without a reload."""
    boss = staff_page(new_context, live_app, viewport=VIEWPORTS["desktop"])
    live_app.shell("from player.models import QuietWindow; QuietWindow.objects.all().delete()")
    person = new_context(viewport=VIEWPORTS["desktop"]).new_page()
    sign_up(person, unique_email("quietperson"))
    try:
        expect(person.get_by_test_id("quiet-slot")).to_be_attached()
        expect(person.get_by_test_id("quiet-banner")).to_have_count(0)
        person.evaluate("window.stayedOnThisPage = true")

        now = timezone.localtime()
        if now.second > 45:  # too close to the minute's turn to see the banner first: quiet in the next minute
            now += timedelta(minutes=1)
        start = now.replace(second=0, microsecond=0)
        end = start + timedelta(minutes=1)
        boss.goto("/player/quiet-hours/")
        add_window(boss, start.weekday(), f"{start:%H:%M}", f"{end:%H:%M}", note="Exam in room 2")

        banner = person.get_by_test_id("quiet-banner")
        expect(banner).to_contain_text("Quiet hours until", timeout=75_000)
        expect(banner).to_contain_text(f"{end:%H:%M}")
        expect(banner).to_contain_text("Exam in room 2")
        expect(banner).to_have_count(0, timeout=75_000)  # the window ended
        assert person.evaluate("window.stayedOnThisPage === true")  # no reload
    finally:
        live_app.shell("from player.models import QuietWindow; QuietWindow.objects.all().delete()")
